"""Reads for syncing podcast apps (gpodder.net API v2): a person's devices,
their follows as feed addresses, what changed since a time, and the episode
actions to hand back, places set in the web player included. Selectors never
write.

A show is named by the address the person's apps used for it last, else by
its public feed address (``public_url``, which the caller makes absolute).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ondas.accounts.models import User
from ondas.catalog.models import Episode, Show
from ondas.catalog.selectors import show_list_visible
from ondas.library.models import EpisodeAction, Follow, SubscriptionEvent, SyncDevice
from ondas.playback.models import ListeningProgress

DEVICE_PREFIX = "gpodder:"  # as ``sync.DEVICE_PREFIX``: places an app sent

PublicUrl = Callable[[Show], str]


def sync_device_list(*, user: User) -> list[tuple[SyncDevice, int]]:
    """The person's devices, each with how many feeds it is subscribed to."""
    count = len(subscription_urls_current(user=user, public_url=lambda show: ""))
    devices = SyncDevice.objects.filter(user=user).order_by("device_id")
    return [(device, count) for device in devices]


def _urls_by_show(user: User) -> dict[int, list[str]]:
    """Every address the person's apps sent for each show, oldest first."""
    rows = (
        SubscriptionEvent.objects.filter(
            user=user, show__isnull=False, action=SubscriptionEvent.Action.ADD
        )
        .exclude(url="")
        .order_by("at", "pk")
        .values_list("show_id", "url")
    )
    found: dict[int, list[str]] = {}
    for show_id, url in rows:
        urls = found.setdefault(show_id, [])
        if url in urls:
            urls.remove(url)
        urls.append(url)
    return found


def show_sync_url(
    *, show: Show, used: dict[int, list[str]], public_url: PublicUrl
) -> str:
    urls = used.get(show.pk)
    return urls[-1] if urls else public_url(show)


def _unmatched_latest(user: User, since: datetime | None) -> dict[str, str]:
    """Addresses with no show here, each with its latest action."""
    rows = SubscriptionEvent.objects.filter(user=user, show__isnull=True)
    if since is not None:
        rows = rows.filter(at__gte=since)
    latest: dict[str, str] = {}
    for url, action in rows.order_by("at", "pk").values_list("url", "action"):
        latest[url] = action
    return latest


def subscription_urls_current(*, user: User, public_url: PublicUrl) -> list[str]:
    """The feed addresses the person follows now: shows, then unknown addresses."""
    used = _urls_by_show(user)
    shows = show_list_visible().filter(
        pk__in=Follow.objects.filter(user=user).values("show_id")
    )
    urls = [
        show_sync_url(show=show, used=used, public_url=public_url)
        for show in shows.order_by("title", "pk")
    ]
    latest = _unmatched_latest(user, None)
    urls.extend(url for url, action in latest.items() if action == "add")
    return urls


def subscription_changes_since(
    *, user: User, since: datetime, public_url: PublicUrl
) -> tuple[list[str], list[str]]:
    """The addresses followed and unfollowed since ``since``: the last change wins.

    An unfollowed show is named by every address the apps knew it by, so
    each app drops the one it has.
    """
    used = _urls_by_show(user)
    events = (
        SubscriptionEvent.objects.filter(user=user, at__gte=since, show__isnull=False)
        .select_related("show")
        .order_by("at", "pk")
    )
    state: dict[str, str] = {}
    for event in events:
        show = event.show
        assert show is not None
        if event.action == SubscriptionEvent.Action.ADD:
            url = event.url or show_sync_url(
                show=show, used=used, public_url=public_url
            )
            state.pop(url, None)
            state[url] = "add"
        else:
            for url in {event.url, public_url(show), *used.get(show.pk, [])} - {""}:
                state.pop(url, None)
                state[url] = "remove"
    for url, action in _unmatched_latest(user, since).items():
        state.pop(url, None)
        state[url] = action
    add = [url for url, action in state.items() if action == "add"]
    remove = [url for url, action in state.items() if action == "remove"]
    return add, remove


@dataclass(frozen=True)
class SyncedPlace:
    """A place kept by Ondas (the web player, /api/v1/) for an app to take."""

    podcast: str
    episode: Episode
    progress: ListeningProgress


def episode_actions_since(
    *,
    user: User,
    since: datetime,
    podcast: str | None,
    device_id: str | None,
    public_url: PublicUrl,
) -> tuple[list[EpisodeAction], list[SyncedPlace]]:
    """The actions apps sent since ``since``, and the places set elsewhere since.

    With ``podcast``, only that feed's; with ``device_id``, only what that
    device sent (places set elsewhere come from no device).
    """
    actions = (
        EpisodeAction.objects.filter(user=user, received_at__gte=since)
        .select_related("device")
        .order_by("received_at", "pk")
    )
    if podcast:
        actions = actions.filter(podcast=podcast)
    if device_id:
        actions = actions.filter(device__device_id=device_id)
    places: list[SyncedPlace] = []
    if not device_id:
        places = _places_since(user, since, podcast, public_url)
    return list(actions), places


def _places_since(
    user: User, since: datetime, podcast: str | None, public_url: PublicUrl
) -> list[SyncedPlace]:
    progress = {
        row.item_id: row
        for row in ListeningProgress.objects.filter(
            user=user, kind=ListeningProgress.Kind.EPISODE, updated_at__gte=since
        ).exclude(device__startswith=DEVICE_PREFIX)
    }
    episodes = (
        Episode.objects.filter(pk__in=list(progress), deleted_at__isnull=True)
        .select_related("show", "audio", "remote")
        .order_by("pk")
    )
    used = _urls_by_show(user)
    places = []
    for episode in episodes:
        url = show_sync_url(show=episode.show, used=used, public_url=public_url)
        if podcast and url != podcast:
            continue
        places.append(SyncedPlace(url, episode, progress[episode.pk]))
    return places
