"""The studio's episode pages: the list of a show's episodes, create and edit
(with the chapter editor and transcripts), unpublish and delete behind a
confirmation. Every view finds the show through ``membership_get_for_user``
(editors and owners; anyone else gets the studio's 404) and the episode
through the show, so another show's episode id is a 404 too."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.errors import ChaptersRejected
from ondas.catalog.models import Episode, Show
from ondas.catalog.services.authored import episode_managed_fields, show_managed_fields
from ondas.catalog.services.chapter_editor import ChapterRow, episode_chapters_edit
from ondas.catalog.services.lifecycle import (
    episode_delete,
    episode_loss,
    episode_unpublish,
)
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.core import clock
from ondas.core.errors import OndasError
from ondas.playback.audio import audio_deliver
from ondas.studio.episode_forms import (
    EpisodeForm,
    TranscriptForm,
    chapter_rows_apply,
    chapter_rows_from_post,
)
from ondas.studio.episode_selectors import (
    STATE_LABELS,
    episode_get_for_studio,
    episode_state,
    episode_transcript_get,
    episode_transcripts,
)
from ondas.studio.errors import StudioNotFound
from ondas.studio.models import Membership, Role
from ondas.studio.pages import episode_list_table
from ondas.studio.selectors import membership_get_for_user
from ondas.studio.services.episodes import (
    chapter_rows_initial,
    episode_save_in_studio,
    episode_transcript_remove,
)
from ondas.studio.services.transcription import (
    episode_transcription_queue,
    transcription_offered,
)

# The preview is one member's: no cache keeps it, so a role taken away ends
# it (never_cache adds the rest).
PREVIEW_CACHE_CONTROL = "private, no-store"


def _show(request: AuthedHttpRequest, show_id: int) -> tuple[Membership, Show]:
    # Raises StudioNotFound (404) unless the person edits the show.
    membership = membership_get_for_user(
        user=request.user, show_id=show_id, at_least=Role.EDITOR
    )
    assert membership.show is not None
    return membership, membership.show


def _episode(request: AuthedHttpRequest, show_id: int, episode_id: int) -> Episode:
    _membership, show = _show(request, show_id)
    return episode_get_for_studio(show=show, episode_id=episode_id)


def _to_edit(episode: Episode, anchor: str = "") -> HttpResponse:
    response = redirect(
        "studio:episode-edit", show_id=episode.show_id, episode_id=episode.pk
    )
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def episode_list_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    membership, show = _show(request, show_id)
    table = episode_list_table(
        show=show,
        state=request.GET.get("state", ""),
        page_number=request.GET.get("page"),
        now=clock.now(),
    )
    context = {"show": show, "membership": membership, "table": table}
    return render(request, "studio/episodes/list.html", context)


def _form_page(
    request: AuthedHttpRequest,
    show: Show,
    form: EpisodeForm,
    *,
    episode: Episode | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    now = clock.now()
    context: dict[str, Any] = {
        "show": show,
        "form": form,
        "episode": episode,
        "time_zone": timezone.get_current_timezone_name(),
        "show_managed": bool(show_managed_fields(show=show)),
    }
    if episode is not None:
        context.update(
            state=episode_state(episode=episode, now=now),
            labels=STATE_LABELS,
            managed=sorted(episode_managed_fields(episode=episode)),
            transcripts=episode_transcripts(episode=episode),
            transcript_form=TranscriptForm(),
            transcribe_offered=transcription_offered(episode=episode),
        )
        context.setdefault("rows", chapter_rows_initial(episode=episode))
        context.update(extra)
        context["chapter_rows"] = _rows_with_errors(
            context.pop("rows"), context.pop("row_errors", {})
        )
    return render(request, "studio/episodes/form.html", context, status=status)


def _rows_with_errors(
    rows: list[ChapterRow], errors: dict[int, list[str]]
) -> list[tuple[ChapterRow, list[str]]]:
    if not rows:
        rows = [ChapterRow("", "", "")]
    return [(row, errors.get(index, [])) for index, row in enumerate(rows)]


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_create_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    _membership, show = _show(request, show_id)
    form = EpisodeForm(request.POST or None, initial={"access": show.default_access})
    saved, status = _save(request, form, show, None, _("The episode is saved."))
    return saved or _form_page(request, show, form, status=status)


def _save(
    request: AuthedHttpRequest,
    form: EpisodeForm,
    show: Show,
    episode: Episode | None,
    done: str,
) -> tuple[HttpResponse | None, int]:
    """Save a valid form through the service: the redirect to the episode, or
    None and the status to show the form again with (the refusal on it)."""
    if not form.is_valid():
        return None, 400 if form.errors else 200
    try:
        saved = episode_save_in_studio(
            show=show,
            episode=episode,
            data=form.episode_input(),
            acting_user=request.user,
        )
    except OndasError as exc:
        form.add_error(None, exc.message)
        return None, exc.http_status
    messages.success(request, done)
    return _to_edit(saved), 200


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_edit_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    state = episode_state(episode=episode, now=clock.now())
    form = EpisodeForm(
        request.POST or None,
        initial=EpisodeForm.initial_for(episode, scheduled=state == "scheduled"),
        live=state == "published",
    )
    saved, status = _save(
        request, form, episode.show, episode, _("Your changes are saved.")
    )
    return saved or _form_page(
        request, episode.show, form, episode=episode, status=status
    )


def _edit_form(episode: Episode) -> EpisodeForm:
    state = episode_state(episode=episode, now=clock.now())
    return EpisodeForm(
        initial=EpisodeForm.initial_for(episode, scheduled=state == "scheduled"),
        live=state == "published",
    )


@login_required
@require_POST
def episode_chapters_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    rows = chapter_rows_from_post(request.POST)
    moved = chapter_rows_apply(rows, request.POST.get("op", ""))
    if moved is not None:  # add, remove or move a row: nothing is saved yet
        return _form_page(
            request, episode.show, _edit_form(episode), episode=episode, rows=moved
        )
    try:
        episode_chapters_edit(episode=episode, rows=rows)
    except ChaptersRejected as exc:
        return _form_page(
            request,
            episode.show,
            _edit_form(episode),
            episode=episode,
            rows=rows,
            row_errors=exc.errors,
            chapter_errors=exc.general or [exc.message],
            status=exc.http_status,
        )
    except OndasError as exc:  # the feed owns the chapters; a deleted episode
        return _form_page(
            request,
            episode.show,
            _edit_form(episode),
            episode=episode,
            rows=rows,
            chapter_errors=[exc.message],
            status=exc.http_status,
        )
    messages.success(request, _("The chapters are saved."))
    return _to_edit(episode, "chapters")


@login_required
@require_POST
def episode_transcript_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    form = TranscriptForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            episode_transcript_upload(
                episode=episode,
                name=upload.name or "",
                data=upload.read(),
                language=form.cleaned_data.get("language") or "",
            )
        except OndasError as exc:
            form.add_error("file", exc.message)
            status = exc.http_status
        else:
            messages.success(request, _("The transcript is saved."))
            return _to_edit(episode, "transcript")
    return _form_page(
        request,
        episode.show,
        _edit_form(episode),
        episode=episode,
        transcript_form=form,
        status=status,
    )


@login_required
@require_POST
def episode_transcribe_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    try:
        episode_transcription_queue(episode=episode, acting_user=request.user)
    except OndasError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "The transcript is being made from the audio; it appears here when done."
            ),
        )
    return _to_edit(episode, "transcript")


@login_required
@require_POST
def episode_transcript_remove_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int, transcript_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    transcript = episode_transcript_get(episode=episode, transcript_id=transcript_id)
    episode_transcript_remove(transcript=transcript)  # FieldsManagedByFeed: 409
    messages.success(request, _("The transcript is removed."))
    return _to_edit(episode, "transcript")


def _confirm(
    request: AuthedHttpRequest, episode: Episode, action: str, status: int = 200
) -> HttpResponse:
    context = {
        "episode": episode,
        "show": episode.show,
        "action": action,
        "loss": episode_loss(episode=episode, now=clock.now()),
        "state": episode_state(episode=episode, now=clock.now()),
        "labels": STATE_LABELS,
    }
    return render(request, "studio/episodes/confirm.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_unpublish_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    if request.method != "POST":
        return _confirm(request, episode, "unpublish")
    episode_unpublish(episode=episode)  # EpisodeStateInvalid (409) unless published
    messages.success(request, _("The episode is unpublished."))
    return _to_edit(episode)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_delete_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    episode = _episode(request, show_id, episode_id)
    if request.method != "POST":
        return _confirm(request, episode, "delete")
    episode_delete(episode=episode)
    messages.success(request, _("“%(title)s” is deleted.") % {"title": episode.title})
    return redirect("studio:episode-list", show_id=show_id)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def episode_audio_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponseBase:
    """The episode's audio for the editor's player, whatever its state (the
    public audio address serves only episodes listeners may see): with Range,
    HEAD and validators like the public one, and kept out of the delivery log
    (a creator checking their audio is not a download)."""
    episode = _episode(request, show_id, episode_id)
    if episode.audio is None:
        raise StudioNotFound()
    return audio_deliver(
        request, audio=episode.audio, cache_control=PREVIEW_CACHE_CONTROL, logged=False
    )
