"""Which show a podcast app's feed address stands for, and which episode its
episode address (or GUID) does. Reads only.

A feed address is a show's when it is the show's public feed here, the feed
it was imported from (``ingest.selectors.show_match_feed_urls``), or one of
the person's own private feeds of it (``/feeds/private/<token>/<slug>.xml``,
the token live and theirs). Someone else's private address matches nothing.

An episode is found within its show by GUID, by the address of its audio
here (public or private enclosure), or by the enclosure an imported feed
lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.feedkeys.errors import PrivateFeedNotFound
from ondas.feedkeys.selectors import feed_key_get_by_token
from ondas.ingest.models import RemoteEpisode
from ondas.ingest.selectors import show_match_feed_urls

_AUDIO_VIEWS = {"playback:audio", "playback:audio-ext", "playback:private-audio"}


def _resolve(url: str) -> tuple[str, dict[str, object]] | None:
    path = urlsplit(url.strip()).path
    try:
        match = resolve(path or "/")
    except Resolver404:
        return None
    return match.view_name, dict(match.kwargs)


def private_feed_token(url: str) -> str | None:
    """The token in a private feed's (or private enclosure's) address."""
    resolved = _resolve(url)
    if resolved is None or resolved[0] not in {
        "feeds:private-feed",
        "playback:private-audio",
    }:
        return None
    token = resolved[1].get("token")
    return token if isinstance(token, str) else None


def _private_show(url: str, user: User) -> Show | None:
    resolved = _resolve(url)
    if resolved is None or resolved[0] != "feeds:private-feed":
        return None
    token, slug = resolved[1].get("token"), resolved[1].get("show_slug")
    if not isinstance(token, str):
        return None
    try:
        key = feed_key_get_by_token(token=token)
    except PrivateFeedNotFound:
        return None
    if key.user_id != user.pk or key.show.slug != slug:
        return None
    return key.show


def feed_urls_match(*, urls: Iterable[str], user: User) -> dict[str, Show]:
    """The shows these feed addresses stand for, for this person; others left out."""
    wanted = list(dict.fromkeys(urls))
    found = show_match_feed_urls(urls=wanted)
    for url in wanted:
        if url not in found and (show := _private_show(url, user)) is not None:
            found[url] = show
    return found


def episode_match(*, show: Show, episode_url: str, guid: str) -> Episode | None:
    """The show's listed episode an app's episode address or GUID names."""
    episodes = Episode.objects.filter(show=show, deleted_at__isnull=True)
    for candidate in (guid, episode_url):
        if candidate:
            found = episodes.filter(guid=candidate).first()
            if found is not None:
                return found
    resolved = _resolve(episode_url)
    if resolved is not None and resolved[0] in _AUDIO_VIEWS:
        audio_id = resolved[1].get("audio_id")
        if isinstance(audio_id, int):
            found = episodes.filter(audio_id=audio_id).first()
            if found is not None:
                return found
    remote = (
        RemoteEpisode.objects.filter(episode__in=episodes, enclosure_url=episode_url)
        .select_related("episode")
        .first()
    )
    return remote.episode if remote is not None else None
