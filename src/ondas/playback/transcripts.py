"""Transcripts Ondas stores, served to whoever may hear their episode.

Here, not in catalog or feeds: only playback may ask whether a person may
hear an exclusive episode (``access.may_play``). A free episode's transcript
is public; an exclusive one's needs the right to listen, from a session (the
episode page) or a private feed's token (podcast apps). Drafts, scheduled,
unpublished and deleted episodes have none to give (``catalog.visibility``).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse
from django.utils.translation import gettext as _

from ondas.catalog.models import Episode, Transcript
from ondas.catalog.selectors import transcript_get_listed
from ondas.core.errors import NotFoundError
from ondas.feedkeys.selectors import feed_key_get_by_token
from ondas.playback.access import may_play
from ondas.playback.errors import SubscriptionRequired


def transcript_get_for_listener(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    transcript_id: int,
    now: datetime,
) -> Transcript:
    """Return the transcript if ``user`` may hear its episode now.

    Raise NotFoundError for none (or one of an episode nobody sees), and
    SubscriptionRequired for an exclusive episode's when the person may not.
    """
    transcript = transcript_get_listed(transcript_id=transcript_id, now=now)
    episode = transcript.episode
    if not may_play(user=user, access=episode.access, now=now):
        raise SubscriptionRequired(audio_id=episode.audio_id or 0)
    return transcript


def private_transcript_get(
    *, token: str, transcript_id: int, now: datetime
) -> Transcript:
    """Return the transcript a private feed's link may give now.

    Raise PrivateFeedNotFound for a token that does not work, NotFoundError
    for a transcript not of the key's show, SubscriptionRequired when the
    key's person may no longer listen.
    """
    key = feed_key_get_by_token(token=token)
    transcript = transcript_get_listed(transcript_id=transcript_id, now=now)
    episode: Episode = transcript.episode
    if episode.show_id != key.show_id:
        raise NotFoundError(
            _("This transcript does not exist."), transcript_id=transcript_id
        )
    if not may_play(user=key.user, access=Episode.Access.EXCLUSIVE, now=now):
        raise SubscriptionRequired(audio_id=episode.audio_id or 0)
    return transcript


def transcript_response(transcript: Transcript, *, public: bool) -> FileResponse:
    """The stored file, as the type it was read as (UTF-8 text)."""
    response = FileResponse(
        transcript.file.open("rb"),
        content_type=f"{transcript.mime_type}; charset=utf-8",
    )
    response.headers["Cache-Control"] = (
        "public, max-age=3600" if public else "private, no-cache"
    )
    if public:  # players elsewhere may show a free episode's captions
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response
