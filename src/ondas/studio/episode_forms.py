"""Forms of the studio's episode pages: the shape of the input only; the
rules (audio needed to publish, a time still to come, fields a feed owns,
chapter rows) are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from ondas.catalog.models import Episode, bcp47_validator
from ondas.catalog.services.authored import PublishWhen
from ondas.catalog.services.chapter_editor import ChapterRow
from ondas.studio.services.episodes import EpisodeInput

# datetime-local sends minutes (and seconds when the page asks for them).
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]

WHEN_CHOICES = [
    (PublishWhen.DRAFT.value, _("Keep as a draft")),
    (PublishWhen.NOW.value, _("Publish now")),
    (PublishWhen.AT.value, _("Publish at a time")),
]


class EpisodeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_(
            "Timestamps such as “12:30 Questions” on their own lines become chapters."
        ),
    )
    season = forms.IntegerField(label=_("Season"), min_value=1, required=False)
    number = forms.IntegerField(label=_("Episode number"), min_value=1, required=False)
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=Episode.Kind.choices,
        initial=Episode.Kind.FULL,
        widget=forms.RadioSelect,
    )
    access = forms.ChoiceField(
        label=_("Who can listen"),
        choices=Episode.Access.choices,
        widget=forms.RadioSelect,
    )
    when = forms.ChoiceField(
        label=_("Publication"),
        choices=WHEN_CHOICES,
        initial=PublishWhen.DRAFT.value,
        widget=forms.RadioSelect,
    )
    at = forms.DateTimeField(
        label=_("Publication time"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    # Filled by the upload widget (studio/uploads/_widget.html), which renders
    # its own input of this name.
    audio_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The audio the episode has, kept when no new file is uploaded.
    current_audio = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, live: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live = live
        if live:
            # Out already: an edit keeps its publication (unpublish takes it back).
            del self.fields["when"]
            del self.fields["at"]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("when") == PublishWhen.AT and not data.get("at"):
            self.add_error("at", _("Choose when the episode comes out."))
        return data

    @staticmethod
    def initial_for(episode: Episode, *, scheduled: bool) -> dict[str, object]:
        """The form's values for an existing episode."""
        return {
            "title": episode.title,
            "description": episode.description,
            "season": episode.season,
            "number": episode.number,
            "kind": episode.kind,
            "access": episode.access,
            "when": PublishWhen.AT.value if scheduled else PublishWhen.DRAFT.value,
            "at": episode.published_at if scheduled else None,
            "current_audio": episode.audio_id,
        }

    def episode_input(self) -> EpisodeInput:
        data = self.cleaned_data
        when = PublishWhen(data["when"]) if "when" in data else None
        return EpisodeInput(
            title=data["title"],
            description=data.get("description") or "",
            season=data.get("season"),
            number=data.get("number"),
            kind=data["kind"],
            access=data["access"],
            audio_id=data.get("audio_id") or data.get("current_audio"),
            when=when,
            at=data.get("at") if when == PublishWhen.AT else None,
        )


class TranscriptForm(forms.Form):
    file = forms.FileField(
        label=_("Transcript file"),
        widget=forms.FileInput(attrs={"accept": ".vtt,.srt,text/vtt"}),
        help_text=_("WebVTT (.vtt) or SubRip (.srt), timed to the audio."),
    )
    language = forms.CharField(
        label=_("Language"),
        max_length=35,
        required=False,
        validators=[bcp47_validator],
        help_text=_("Leave empty for the show's language."),
    )


# The chapter editor --------------------------------------------------------------

# The buttons of the editor's form: save, add a row, or move/remove row N.
CHAPTER_OPS = ("add", "remove", "up", "down")


def chapter_rows_from_post(data: QueryDict) -> list[ChapterRow]:
    """The editor's rows as typed, in the order they were on the page."""
    starts = data.getlist("chapter_start")
    titles = data.getlist("chapter_title")
    urls = data.getlist("chapter_url")
    count = max(len(starts), len(titles), len(urls))

    def at(values: list[str], index: int) -> str:
        return values[index] if index < len(values) else ""

    return [ChapterRow(at(starts, i), at(titles, i), at(urls, i)) for i in range(count)]


def chapter_rows_apply(rows: list[ChapterRow], op: str) -> list[ChapterRow] | None:
    """The rows after the button ``op`` (``"add"``, ``"remove:2"``, ``"up:2"``,
    ``"down:2"``) was pressed; None when ``op`` is not one of them (save)."""
    name, _sep, number = op.partition(":")
    if name == "add":
        return [*rows, ChapterRow("", "", "")]
    if name not in CHAPTER_OPS or not number.isdigit():
        return None
    index = int(number)
    rows = list(rows)
    if not 0 <= index < len(rows):
        return rows
    if name == "remove":
        del rows[index]
    elif name == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif name == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows
