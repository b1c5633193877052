"""Syncing podcast apps through the gpodder.net API v2: devices, follows sent
as feed addresses, and episode actions whose plays move the person's place.

A person has one library whatever the app: a feed address one device adds
follows its show for all of them (and for the site), and the others are told
at their next sync (``sync_selectors``). Addresses this catalog does not have
are kept as events with no show, and handed back to the other devices; they
are never dropped. A play action with a position goes to
``playback.services.progress_save``, the web player's own, so the most recent
listening wins wherever it happened.

Everything an upload carries is checked before anything is written: a bad
upload is refused whole (``InvalidRequest``) and changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.core.errors import InvalidRequest, NotFoundError
from ondas.library.models import EpisodeAction, Follow, SubscriptionEvent, SyncDevice
from ondas.library.sync_match import episode_match, feed_urls_match
from ondas.playback.access import progress_item_length
from ondas.playback.errors import SubscriptionRequired
from ondas.playback.models import ListeningProgress
from ondas.playback.services import progress_save

logger = logging.getLogger(__name__)

DEVICE_ID_RE = re.compile(r"^[\w.-]{1,64}$", re.ASCII)
MAX_URL_LENGTH = 2000
MAX_ITEMS = 1000  # per upload: addresses, or episode actions
# ListeningProgress.device for places an app sent: the log already has them.
DEVICE_PREFIX = "gpodder:"

Action = EpisodeAction.Action


@dataclass(frozen=True)
class UploadedAction:
    """One episode action as an app sent it, its shape already checked."""

    podcast: str
    episode: str
    action: str
    device: str = ""
    guid: str = ""
    timestamp: datetime | None = None
    started: int | None = None
    position: int | None = None
    total: int | None = None


def device_id_clean(device_id: str) -> str:
    if not DEVICE_ID_RE.match(device_id):
        raise InvalidRequest(
            reason=_(
                "A device id is 1 to 64 letters, digits, dots, dashes or underscores."
            ),
            field="device",
        )
    return device_id


def url_clean(url: str, *, field: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH or parts.scheme not in {"http", "https"}:
        raise InvalidRequest(
            reason=_(
                "“%(url)s” is not an http or https address of at most 2000 characters."
            )
            % {"url": url[:100]},
            field=field,
        )
    if not parts.hostname:
        raise InvalidRequest(
            reason=_("“%(url)s” has no host.") % {"url": url[:100]}, field=field
        )
    return url


def _device(*, user: User, device_id: str, now: datetime) -> SyncDevice:
    device, _created = SyncDevice.objects.get_or_create(
        user=user,
        device_id=device_id_clean(device_id),
        defaults={"created_at": now, "updated_at": now},
    )
    return device


def sync_device_update(
    *,
    user: User,
    device_id: str,
    caption: str | None,
    type: str | None,
    now: datetime,
) -> SyncDevice:
    """Name a device or change its type; a device not seen before is made."""
    if type is not None and type not in SyncDevice.Type.values:
        raise InvalidRequest(
            reason=_("The type is one of desktop, laptop, mobile, server or other."),
            field="type",
        )
    if caption is not None and len(caption) > 255:
        raise InvalidRequest(
            reason=_("A caption is at most 255 characters."), field="caption"
        )
    with transaction.atomic(durable=True):
        device = _device(user=user, device_id=device_id, now=now)
        if caption is not None:
            device.caption = caption.strip()
        if type is not None:
            device.type = type
        device.updated_at = now
        device.save(update_fields=["caption", "type", "updated_at"])
    return device


def subscription_event_record(
    *, user: User, show_id: int, action: str, now: datetime
) -> None:
    """Note a follow or unfollow made outside the sync API (site, /api/v1/, OPML)."""
    SubscriptionEvent.objects.create(user=user, show_id=show_id, action=action, at=now)


@dataclass(frozen=True)
class SubscriptionsUpdated:
    followed: int
    unfollowed: int
    unmatched: list[str]  # kept, for the person's other apps


def subscriptions_update(
    *,
    user: User,
    device_id: str,
    add: Sequence[str],
    remove: Sequence[str],
    now: datetime,
) -> SubscriptionsUpdated:
    """Follow the shows of the ``add`` feed addresses and unfollow those of ``remove``."""
    add = list(dict.fromkeys(url_clean(url, field="add") for url in add))
    remove = list(dict.fromkeys(url_clean(url, field="remove") for url in remove))
    if len(add) + len(remove) > MAX_ITEMS:
        raise InvalidRequest(
            reason=_("Send at most %(max)s addresses at once.") % {"max": MAX_ITEMS}
        )
    if set(add) & set(remove):
        raise InvalidRequest(
            reason=_("An address cannot be both added and removed."), field="remove"
        )
    shows = feed_urls_match(urls=add + remove, user=user)
    followed = unfollowed = 0
    with transaction.atomic(durable=True):
        device = _device(user=user, device_id=device_id, now=now)
        events = []
        for url in add:
            show = shows.get(url)
            if show is not None:
                _follow, created = Follow.objects.get_or_create(
                    user=user, show=show, defaults={"created_at": now}
                )
                followed += created
            events.append(
                SubscriptionEvent(
                    user=user, device=device, url=url, show=show, action="add", at=now
                )
            )
        for url in remove:
            show = shows.get(url)
            if show is not None:
                deleted, _per_model = Follow.objects.filter(
                    user=user, show=show
                ).delete()
                unfollowed += deleted
            events.append(
                SubscriptionEvent(
                    user=user,
                    device=device,
                    url=url,
                    show=show,
                    action="remove",
                    at=now,
                )
            )
        SubscriptionEvent.objects.bulk_create(events)
    unmatched = [url for url in add + remove if url not in shows]
    logger.info(
        "Sync of user %s: %s followed, %s unfollowed, %s addresses unknown",
        user.pk,
        followed,
        unfollowed,
        len(unmatched),
    )
    return SubscriptionsUpdated(followed, unfollowed, unmatched)


def subscriptions_replace(
    *,
    user: User,
    device_id: str,
    urls: Sequence[str],
    current: Sequence[str],
    now: datetime,
) -> SubscriptionsUpdated:
    """Make the person's follows the feeds ``urls`` name (gpodder.net's Simple
    API uploads a device's whole list), given the addresses followed now.

    A show counts once whatever address names it: an app that lists a show by
    its private feed keeps following it when ``current`` names it by the
    public one. Only the difference is recorded, so a device that uploads the
    same list twice changes nothing.
    """
    wanted = list(dict.fromkeys(url_clean(url, field="subscriptions") for url in urls))
    if len(wanted) > MAX_ITEMS:
        raise InvalidRequest(
            reason=_("Send at most %(max)s addresses at once.") % {"max": MAX_ITEMS}
        )
    shows = feed_urls_match(urls=[*wanted, *current], user=user)

    def key(url: str) -> tuple[str, object]:
        show = shows.get(url)
        return ("show", show.pk) if show is not None else ("url", url)

    wanted_keys = {key(url) for url in wanted}
    current_keys = {key(url) for url in current}
    return subscriptions_update(
        user=user,
        device_id=device_id,
        add=[url for url in wanted if key(url) not in current_keys],
        remove=[url for url in current if key(url) not in wanted_keys],
        now=now,
    )


def _place_move(
    *, user: User, row: EpisodeAction, device_id: str, now: datetime
) -> bool:
    """Move the person's place to a play's position; whether it was applied."""
    if row.episode is None or row.position is None or row.action != Action.PLAY:
        return False
    try:
        length = progress_item_length(
            user=user,
            kind=ListeningProgress.Kind.EPISODE,
            item_id=row.episode.pk,
            now=now,
        )
    except (NotFoundError, SubscriptionRequired):
        return False  # kept in the log all the same
    _progress, applied = progress_save(
        user=user,
        kind=ListeningProgress.Kind.EPISODE,
        item_id=row.episode.pk,
        position_seconds=min(float(row.position), length),
        played_at=row.timestamp or now,
        device=(DEVICE_PREFIX + device_id)[:64],
        now=now,
    )
    return applied


def episode_actions_upload(
    *, user: User, actions: Sequence[UploadedAction], now: datetime
) -> int:
    """Keep the actions an app sent; plays move the place. Return how many moved it."""
    if len(actions) > MAX_ITEMS:
        raise InvalidRequest(
            reason=_("Send at most %(max)s actions at once.") % {"max": MAX_ITEMS}
        )
    for item in actions:
        url_clean(item.podcast, field="podcast")
        if item.device:
            device_id_clean(item.device)
    shows = feed_urls_match(urls=[a.podcast.strip() for a in actions], user=user)
    moved = 0
    with transaction.atomic(durable=True):
        devices: dict[str, SyncDevice] = {}
        for item in actions:
            if item.device and item.device not in devices:
                devices[item.device] = _device(
                    user=user, device_id=item.device, now=now
                )
            show = shows.get(item.podcast.strip())
            episode = (
                episode_match(show=show, episode_url=item.episode, guid=item.guid)
                if show is not None
                else None
            )
            row = EpisodeAction.objects.create(
                user=user,
                device=devices.get(item.device),
                podcast=item.podcast.strip(),
                episode_url=item.episode.strip(),
                guid=item.guid,
                action=item.action,
                timestamp=min(item.timestamp, now) if item.timestamp else None,
                started=item.started,
                position=item.position,
                total=item.total,
                episode=episode,
                received_at=now,
            )
            moved += _place_move(user=user, row=row, device_id=item.device, now=now)
    logger.info(
        "Sync of user %s: %s episode actions, %s places moved",
        user.pk,
        len(actions),
        moved,
    )
    return moved
