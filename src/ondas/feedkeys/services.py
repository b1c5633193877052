"""Private feed keys: make, regenerate, and count where they are used from.

A key counts as shared when, in one (UTC) day, its audio is fetched from
more networks than ``ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY`` or it is used
by more apps (User-Agents) than ``ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY``. Only
audio requests count networks: podcast apps often fetch the feed itself
from their own servers, which would look like many places, while the audio
is fetched by the listener's device. The person is told by email, and with
``ONDAS_PRIVATE_FEED_AUTO_RESET`` the key is replaced at once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django_tasks import task

from ondas.accounts.models import User
from ondas.billing.selectors import listening_rights
from ondas.catalog.models import Show
from ondas.core import clock
from ondas.feedkeys import notifications
from ondas.feedkeys.errors import PrivateFeedNeedsPlan, PrivateFeedNotFound
from ondas.feedkeys.models import PrivateFeedKey, PrivateFeedKeyUse
from ondas.feedkeys.tokens import (
    network_of,
    seed_make,
    token_derive,
    token_hash,
    use_digest,
)

logger = logging.getLogger(__name__)

Origin = PrivateFeedKey.Origin
UseKind = PrivateFeedKeyUse.Kind

# Days of uses kept: enough to look into a complaint, no more.
FEED_KEY_USE_DAYS_KEPT = 30
# last_used_at is a hint for the person, not a log: one write an hour at most.
LAST_USED_EVERY = timedelta(hours=1)
# User-Agents longer than this are cut before they are digested.
MAX_APP_LENGTH = 512


def _key_make(
    *, user_id: int, show_id: int, origin: str, now: datetime
) -> PrivateFeedKey:
    seed = seed_make()
    return PrivateFeedKey.objects.create(
        user_id=user_id,
        show_id=show_id,
        seed=seed,
        token_hash=token_hash(token_derive(seed)),
        origin=origin,
        created_at=now,
    )


def _key_replace(key: PrivateFeedKey, *, origin: str, now: datetime) -> PrivateFeedKey:
    """Revoke the locked live ``key`` and return its successor."""
    key.revoked_at = now
    key.save(update_fields=["revoked_at"])
    return _key_make(user_id=key.user_id, show_id=key.show_id, origin=origin, now=now)


def _live_locked(*, user: User, show: Show) -> PrivateFeedKey | None:
    return (
        PrivateFeedKey.objects.select_for_update()
        .filter(user=user, show=show, revoked_at__isnull=True)
        .first()
    )


@transaction.atomic
def feed_key_create(*, user: User, show: Show, now: datetime) -> PrivateFeedKey:
    """Return the person's live key to the show's private feed, made if needed.

    Raise PrivateFeedNeedsPlan when their plan does not include exclusive
    shows right now.
    """
    live = _live_locked(user=user, show=show)
    if live is not None:
        return live
    if not listening_rights(user=user, now=now).exclusive:
        raise PrivateFeedNeedsPlan
    key = _key_make(user_id=user.pk, show_id=show.pk, origin=Origin.CREATED, now=now)
    logger.info("Private feed key %s created for user %s", key.pk, user.pk)
    return key


@transaction.atomic
def feed_key_regenerate(*, user: User, show: Show, now: datetime) -> PrivateFeedKey:
    """Give the person a new address; the old one stops working at once.

    Raise PrivateFeedNotFound when they have no live key to this show.
    """
    live = _live_locked(user=user, show=show)
    if live is None:
        raise PrivateFeedNotFound
    key = _key_replace(live, origin=Origin.REGENERATED, now=now)
    logger.info("Private feed key %s regenerated as %s", live.pk, key.pk)
    return key


@transaction.atomic
def feed_key_revoke_and_replace(
    *, key: PrivateFeedKey, acting_user: User, now: datetime
) -> PrivateFeedKey:
    """Replace a person's key on staff's say; return the new key.

    The old address stops working at once; the person is told by email to
    copy the new one from their account page. Raise PrivateFeedNotFound when
    ``key`` is already revoked.
    """
    locked = PrivateFeedKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is not None:
        raise PrivateFeedNotFound
    successor = _key_replace(locked, origin=Origin.STAFF_REPLACED, now=now)
    notifications.private_feed_replaced(key_id=successor.pk)
    logger.warning(
        "Private feed key %s replaced by %s by staff user %s",
        locked.pk,
        successor.pk,
        acting_user.pk,
    )
    return successor


def _seen(key: PrivateFeedKey, day: date) -> set[tuple[str, str]]:
    return set(
        PrivateFeedKeyUse.objects.filter(key=key, day=day).values_list("kind", "digest")
    )


def feed_key_use_record(
    *, key: PrivateFeedKey, client_ip: str | None, app: str, now: datetime
) -> PrivateFeedKey:
    """Note one request through ``key``, from ``client_ip`` (None: do not count
    the network) by ``app`` (its User-Agent); flag the key if it looks shared.

    A network and app already seen today cost one read. Returns the key as it
    now is: revoked if this request made it reset.
    """
    day = now.date()
    wanted = {
        (UseKind.APP.value, use_digest(kind="app", value=app[:MAX_APP_LENGTH], day=day))
    }
    if client_ip is not None:
        network = network_of(client_ip)
        wanted.add(
            (UseKind.NETWORK.value, use_digest(kind="network", value=network, day=day))
        )
    new = wanted - _seen(key, day)
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        PrivateFeedKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    if not new:
        return key
    PrivateFeedKeyUse.objects.bulk_create(
        [PrivateFeedKeyUse(key=key, day=day, kind=k, digest=d) for k, d in new],
        ignore_conflicts=True,  # two requests at once: one row
    )
    counts = dict(
        PrivateFeedKeyUse.objects.filter(key=key, day=day)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    too_many_networks = (
        counts.get(UseKind.NETWORK, 0)
        > settings.ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY
    )
    too_many_apps = (
        counts.get(UseKind.APP, 0) > settings.ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY
    )
    if not (too_many_networks or too_many_apps):
        return key
    return _feed_key_flag(key=key, now=now)


@transaction.atomic
def _feed_key_flag(*, key: PrivateFeedKey, now: datetime) -> PrivateFeedKey:
    """Flag a key used from too many places today: tell its person, maybe reset it."""
    locked = PrivateFeedKey.objects.select_for_update().get(pk=key.pk)
    already_today = (
        locked.flagged_at is not None and locked.flagged_at.date() == now.date()
    )
    if locked.revoked_at is not None or already_today:
        return locked
    locked.flagged_at = now
    locked.save(update_fields=["flagged_at"])
    reset = settings.ONDAS_PRIVATE_FEED_AUTO_RESET
    if reset:
        successor = _key_replace(locked, origin=Origin.RESET_SHARED, now=now)
        logger.warning(
            "Private feed key %s looked shared; replaced by %s", locked.pk, successor.pk
        )
    else:
        logger.warning("Private feed key %s looked shared; flagged", locked.pk)
    notifications.private_feed_shared(key_id=locked.pk, reset=reset)
    return locked


def feed_keys_delete_for_user(*, user: User) -> int:
    """Delete every key of a person who deletes their account; return how many."""
    deleted, _by_model = PrivateFeedKey.objects.filter(user=user).delete()
    return deleted


def feed_key_uses_prune(*, now: datetime) -> int:
    """Forget uses older than FEED_KEY_USE_DAYS_KEPT days, and keys revoked as
    long ago; return how many rows went."""
    cutoff = now - timedelta(days=FEED_KEY_USE_DAYS_KEPT)
    uses, _ = PrivateFeedKeyUse.objects.filter(day__lt=cutoff.date()).delete()
    keys, _ = PrivateFeedKey.objects.filter(revoked_at__lt=cutoff).delete()
    return uses + keys


@task()
def feed_key_uses_prune_task() -> int:
    """The schedule's prune (ops.jobs); running it twice deletes nothing more."""
    return feed_key_uses_prune(now=clock.now())
