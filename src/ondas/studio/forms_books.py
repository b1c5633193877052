"""Forms of the studio's audiobook pages: the shape of the input only; the
rules are in ``services.books``."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Audiobook, bcp47_validator
from ondas.catalog.services.books_authored import BookInput
from ondas.core.timefmt import format_clock, parse_clock
from ondas.studio.forms import ARTWORK_MAX_BYTES
from ondas.studio.uploads.artwork import artwork_check, artwork_fit
from ondas.studio.uploads.errors import ArtworkRefused


class BookForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    authors = forms.CharField(
        label=_("Author"),
        max_length=255,
        help_text=_("Several authors: separate them with commas."),
    )
    narrators = forms.CharField(
        label=_("Narrator"),
        max_length=255,
        required=False,
        help_text=_("Several narrators: separate them with commas."),
    )
    language = forms.CharField(
        label=_("Language"),
        max_length=35,
        validators=[bcp47_validator],
        help_text=_("A language tag, such as “es”, “es-MX” or “en”."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    sample = forms.CharField(
        label=_("Free sample"),
        max_length=10,
        initial="5:00",
        help_text=_(
            "How much of the start everyone may hear without a plan, as "
            "minutes:seconds (such as 5:00) or hours:minutes:seconds."
        ),
    )
    cover = forms.ImageField(
        label=_("Cover"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_(
            "A square JPEG or PNG image in RGB colour, from 1400 to 3000 pixels a side."
        ),
    )
    cover_fit = forms.BooleanField(
        label=_("Crop and scale the cover for me"),
        required=False,
        help_text=_(
            "If the image is big enough but not square, too large or not RGB, "
            "Ondas makes a copy that fits."
        ),
    )

    draft = forms.BooleanField(
        label=_("Keep it as a draft"),
        required=False,
        help_text=_(
            "Listeners do not see a draft: not in the catalog, the search or "
            "the app. Untick it to publish the book."
        ),
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            # A book starts with its first part (the upload widget fills it).
            self.fields["audio_id"] = forms.IntegerField(
                widget=forms.HiddenInput,
                error_messages={"required": _("Upload the book's first part.")},
            )
            self.fields["part_title"] = forms.CharField(
                label=_("Title of the first part"), max_length=255, required=False
            )

    def clean_sample(self) -> int:
        text: str = self.cleaned_data["sample"]
        try:
            return parse_clock(text)
        except ValueError:
            raise forms.ValidationError(
                _("Write the sample's length as 5:00 or 1:02:03."), code="invalid"
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload: UploadedFile | None = data.get("cover")
        if not upload:
            data["cover"] = None
            return data
        if upload.size is not None and upload.size > ARTWORK_MAX_BYTES:
            self.add_error(
                "cover",
                forms.ValidationError(
                    _("The image is larger than %(limit)s MB.")
                    % {"limit": ARTWORK_MAX_BYTES // (1024 * 1024)},
                    code="too_large",
                ),
            )
            return data
        try:
            artwork_check(fileobj=upload)  # type: ignore[arg-type]
        except ArtworkRefused as refused:
            if not (refused.can_fit and data.get("cover_fit")):
                problems = list(refused.problems)
                if refused.can_fit:
                    problems.append(
                        str(_("Tick “Crop and scale the cover for me” to fix it."))
                    )
                self.add_error("cover", forms.ValidationError(problems))
                return data
            fitted = artwork_fit(fileobj=upload)  # type: ignore[arg-type]
            stem = os.path.splitext(upload.name or "cover")[0]
            suffix = ".png" if fitted.mime_type == "image/png" else ".jpg"
            data["cover"] = ContentFile(fitted.content, name=stem + suffix)
            return data
        upload.seek(0)
        return data

    @staticmethod
    def initial_for(book: Audiobook) -> dict[str, object]:
        """The form's values for an existing book."""
        return {
            "title": book.title,
            "authors": book.authors,
            "narrators": book.narrators,
            "language": book.language,
            "description": book.description,
            "sample": format_clock(book.sample_seconds),
            "draft": book.is_draft,
        }

    def book_input(self) -> BookInput:
        data = self.cleaned_data
        return BookInput(
            title=data["title"],
            authors=data["authors"],
            narrators=data.get("narrators") or "",
            language=data["language"],
            description=data.get("description") or "",
            sample_seconds=data["sample"],
            cover=data.get("cover"),
            draft=bool(data.get("draft")),
        )


class PartAddForm(forms.Form):
    audio_id = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": _("Upload the part's audio first.")},
    )
    title = forms.CharField(
        label=_("Title of the part"), max_length=255, required=False
    )


class PartRenameForm(forms.Form):
    title = forms.CharField(
        label=_("Title of the part"), max_length=255, required=False
    )


class PartMoveForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[("up", _("Move up")), ("down", _("Move down"))]
    )
