"""Episode actions as gpodder.net clients read them, and the addresses Ondas
gives for its shows and episodes (absolute, on the host the app asked)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from ondas.api.gpodder.http import iso
from ondas.catalog.models import Episode, Show
from ondas.feeds.render import audio_extension
from ondas.library.models import EpisodeAction
from ondas.library.sync_match import private_feed_token
from ondas.library.sync_selectors import SyncedPlace

Action = dict[str, object]


class Urls:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def show_feed(self, show: Show) -> str:
        return self.absolute(reverse("feeds:show-feed", args=[show.slug]))

    def episode(self, episode: Episode, podcast: str) -> str:
        """The enclosure address the feed at ``podcast`` gives the episode."""
        audio = episode.audio
        if audio is None:
            remote = getattr(episode, "remote", None)
            return str(remote.enclosure_url) if remote is not None else episode.guid
        ext = audio_extension(audio.mime_type, str(audio.file.name))
        token = private_feed_token(podcast)
        if token is not None:
            path = reverse("playback:private-audio", args=[audio.pk, token, ext])
        else:
            path = reverse("playback:audio-ext", args=[audio.pk, ext])
        return self.absolute(path)


def action_out(action: EpisodeAction) -> Action:
    out: Action = {
        "podcast": action.podcast,
        "episode": action.episode_url,
        "action": action.action,
        "timestamp": iso(action.timestamp or action.received_at),
    }
    if action.device is not None:
        out["device"] = action.device.device_id
    if action.guid:
        out["guid"] = action.guid
    for name in ("started", "position", "total"):
        value = getattr(action, name)
        if value is not None:
            out[name] = value
    return out


def place_out(place: SyncedPlace, urls: Urls) -> Action:
    """A place kept by Ondas, as the play action that leaves the app there."""
    episode, progress = place.episode, place.progress
    out: Action = {
        "podcast": place.podcast,
        "episode": urls.episode(episode, place.podcast),
        "guid": episode.guid,
        "action": "play",
        "timestamp": iso(progress.played_at),
        "started": 0,
        "position": int(progress.position_seconds),
    }
    if episode.duration_seconds:
        out["total"] = int(episode.duration_seconds)
    return out


def aggregate(actions: list[Action]) -> list[Action]:
    """Only the latest action of each episode (``?aggregated=true``)."""
    latest: dict[tuple[object, object], Action] = {}
    for action in sorted(actions, key=lambda a: str(a["timestamp"])):
        latest[(action["podcast"], action["episode"])] = action
    return list(latest.values())
