"""Forms of the studio's pages: the shape of the input only; rules are in services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Access, Category, Show, bcp47_validator
from ondas.studio.models import Role
from ondas.studio.selectors import FEED_OWNED_FIELDS
from ondas.studio.services.shows import ShowInput
from ondas.studio.uploads.artwork import artwork_check
from ondas.studio.uploads.errors import ArtworkRefused

# Apple's rule for show artwork is studio.uploads.artwork's; a bigger file
# than this is refused unread.
ARTWORK_MAX_BYTES = 10 * 1024 * 1024


def category_choices(categories: Sequence[Category]) -> list[Any]:
    """Apple's categories grouped under their top category, in the active language."""
    groups: dict[int, list[tuple[str, str]]] = {}
    tops: dict[int, Category] = {}
    for category in categories:
        if category.parent_id is None:
            tops[category.pk] = category
            groups.setdefault(category.pk, []).insert(
                0, (str(category.pk), category.display_name)
            )
        else:
            assert category.parent is not None
            groups.setdefault(category.parent_id, []).append(
                (
                    str(category.pk),
                    f"{category.parent.display_name} › {category.display_name}",
                )
            )
    ordered = sorted(tops.values(), key=lambda c: c.display_name)
    return [("", _("No category")), *[(c.display_name, groups[c.pk]) for c in ordered]]


class ShowForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    author = forms.CharField(
        label=_("Host or author"),
        max_length=255,
        help_text=_("As podcast apps show it under the title."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    language = forms.CharField(
        label=_("Language"),
        max_length=35,
        validators=[bcp47_validator],
        help_text=_("A language tag, such as “es”, “es-MX” or “en”."),
    )
    category = forms.TypedChoiceField(
        label=_("Apple category"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Pick a subcategory to list the show under both."),
    )
    explicit = forms.BooleanField(
        label=_("Explicit content"),
        required=False,
        help_text=_("Apple and other apps mark or hide explicit shows."),
    )
    artwork = forms.ImageField(
        label=_("Artwork"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_(
            "A square JPEG or PNG image in RGB colour, from 1400 to 3000 pixels a side."
        ),
    )
    default_access = forms.ChoiceField(
        label=_("New episodes are"),
        choices=Access.choices,
        initial=Access.FREE,
        widget=forms.RadioSelect,
        help_text=_("Each episode can still be made free or exclusive on its own."),
    )

    def __init__(
        self,
        *args: Any,
        categories: Sequence[Category],
        follows_feed: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.pk: c for c in categories}
        self.fields["category"].choices = category_choices(categories)  # type: ignore[attr-defined]
        self.follows_feed = follows_feed
        if follows_feed:
            # The feed sets these on every refresh: shown, not editable.
            for name in FEED_OWNED_FIELDS:
                self.fields[name].disabled = True

    def clean_artwork(self) -> UploadedFile | None:
        """The image, if it is a square RGB JPEG or PNG of Apple's sizes."""
        upload: UploadedFile | None = self.cleaned_data.get("artwork")
        if not upload:
            return None
        if upload.size is not None and upload.size > ARTWORK_MAX_BYTES:
            raise forms.ValidationError(
                _("The image is larger than %(limit)s MB.")
                % {"limit": ARTWORK_MAX_BYTES // (1024 * 1024)},
                code="too_large",
            )
        try:
            artwork_check(fileobj=upload)  # type: ignore[arg-type]
        except ArtworkRefused as refused:
            raise forms.ValidationError(refused.problems, code="artwork") from None
        upload.seek(0)
        return upload

    @staticmethod
    def initial_for(show: Show, primary: Category | None) -> dict[str, object]:
        """The form's values for an existing show."""
        return {
            "title": show.title,
            "author": show.author,
            "description": show.description,
            "language": show.language,
            "category": primary.pk if primary else None,
            "explicit": show.explicit,
            "default_access": show.default_access,
        }

    def show_input(self) -> ShowInput:
        data = self.cleaned_data
        category_id = data.get("category")
        return ShowInput(
            title=data["title"],
            author=data["author"],
            language=data["language"],
            description=data.get("description") or "",
            category=self.categories.get(category_id) if category_id else None,
            explicit=bool(data.get("explicit")),
            default_access=data["default_access"],
            artwork=data.get("artwork"),
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.EDITOR,
        help_text=_(
            "Owners can do everything, members included; editors change the "
            "content; analysts only see the numbers."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ClaimFindForm(forms.Form):
    show = forms.CharField(
        label=_("The show's address on this site"),
        max_length=2000,
        help_text=_("Its page's address, such as …/shows/my-show/, or its slug."),
    )

    def clean_show(self) -> str:
        """The slug in a pasted show address (or the slug itself)."""
        text: str = self.cleaned_data["show"].strip()
        path = urlsplit(text).path if "://" in text else text
        parts = [part for part in path.split("/") if part]
        if "shows" in parts and parts.index("shows") + 1 < len(parts):
            parts = [parts[parts.index("shows") + 1]]
        slug = parts[-1] if parts else ""
        if not slug or slug != slugify(slug):
            raise forms.ValidationError(
                _("This is not the address of a show's page."), code="invalid"
            )
        return slug
