"""Forms of the listener's and the creator's pages: the shape of the input only."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ondas.library.errors import OPMLTooLarge


class OPMLImportForm(forms.Form):
    opml = forms.FileField(
        label=_("OPML file"),
        help_text=_(
            "Export it from AntennaPod, Pocket Casts or another podcast app "
            "(often under Settings → Import/Export)."
        ),
    )

    def clean_opml(self) -> bytes:
        """The file's bytes; a file over the size limit is refused unread."""
        upload = self.cleaned_data["opml"]
        limit = settings.ONDAS_OPML_MAX_BYTES
        if upload.size is None or upload.size > limit:
            raise forms.ValidationError(
                OPMLTooLarge(limit=limit).message, code="too_large"
            )
        data: bytes = upload.read(limit + 1)
        return data


class FeedImportForm(forms.Form):
    url = forms.URLField(
        label=_("Feed URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("The address of the show's RSS or Atom feed."),
    )
    owner_email = forms.EmailField(
        label=_("Owner's email (optional)"),
        required=False,
        help_text=_(
            "Only for feeds marked podcast:locked: the owner's address the feed "
            "names. Without it, your own address is tried."
        ),
    )
