"""Sliding-window limits counted in the database, and the client's address.

Each counted event is a ``RateLimitEvent`` row, so a limit holds across every
Gunicorn worker and every node that shares the database, with no cache server.
Rows carry a keyed hash of what they count (an email address, a client
address), never the value itself, and are purged once older than their window.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from ondas.accounts.models import RateLimitEvent, RateWindowCount

Scope = RateLimitEvent.Scope

_KEY_SALT = "ondas.accounts.ratelimit"


def ratelimit_key(value: str) -> str:
    """Return the keyed hash under which ``value`` is counted."""
    return salted_hmac(_KEY_SALT, value, algorithm="sha256").hexdigest()


def email_key(email: str) -> str:
    """Return the key for an email address, whatever its letter case."""
    return ratelimit_key("email:" + email.strip().lower())


def ip_key(ip: str) -> str:
    """Return the key for a client address; IPv6 counts per /64 network.

    One IPv6 subscriber commonly holds a whole /64, so counting single addresses
    would let one person try from billions of them.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ratelimit_key("ip:" + ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            network = ipaddress.IPv6Network((address, 64), strict=False)
            return ratelimit_key("ip:" + str(network))
        address = address.ipv4_mapped
    return ratelimit_key("ip:" + str(address))


def retry_after(
    *, scope: str, key: str, limit: int, window: timedelta, now: datetime
) -> int | None:
    """Return the seconds until one more event is allowed, or None if it is now."""
    since = now - window
    times = list(
        RateLimitEvent.objects.filter(scope=scope, key=key, created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(times) < limit:
        return None
    # The limit-th newest event leaves the window first among those that fill it.
    frees_at = times[limit - 1] + window
    return max(1, int((frees_at - now).total_seconds() + 0.999))


def retry_after_any(
    *, limits: Sequence[tuple[str, str, int]], window: timedelta, now: datetime
) -> int | None:
    """Return the longest wait among ``(scope, key, limit)``s, or None if none is full."""
    waits = [
        wait
        for scope, key, limit in limits
        if (
            wait := retry_after(
                scope=scope, key=key, limit=limit, window=window, now=now
            )
        )
        is not None
    ]
    return max(waits) if waits else None


def record(*, scope: str, key: str, window: timedelta, now: datetime) -> None:
    """Count one event, and drop this scope's events that left the window."""
    RateLimitEvent.objects.filter(scope=scope, created_at__lte=now - window).delete()
    RateLimitEvent.objects.create(scope=scope, key=key, created_at=now)


def clear(*, scope: str, key: str) -> None:
    """Forget every counted event of ``key`` in ``scope``."""
    RateLimitEvent.objects.filter(scope=scope, key=key).delete()


def window_hit(*, key: str, slot: int) -> int:
    """Count one request of ``key`` in the window starting at ``slot`` (epoch
    seconds); return the window's count, this request included.

    One statement (an upsert that returns the new count; SQLite 3.35+ and
    PostgreSQL both have it), so requests on any worker or node at the same
    moment each get a count of their own and none is lost.
    """
    quote = connection.ops.quote_name
    table = quote(RateWindowCount._meta.db_table)
    key_col, slot_col, hits_col = quote("key"), quote("slot"), quote("hits")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {slot_col}, {hits_col}) "  # noqa: S608 - names only
            f"VALUES (%s, %s, 1) ON CONFLICT ({key_col}, {slot_col}) "
            f"DO UPDATE SET {hits_col} = {table}.{hits_col} + 1 RETURNING {hits_col}",
            [key, slot],
        )
        row = cursor.fetchone()
    return int(row[0])


def windows_prune(*, before: int) -> int:
    """Forget the counts of windows that started before ``before`` (epoch
    seconds); return how many went."""
    deleted, _ = RateWindowCount.objects.filter(slot__lt=before).delete()
    return deleted


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, from a proxy header only when settings say so.

    ``ONDAS_CLIENT_IP_HEADER`` names the header a trusted reverse proxy sets
    (``X-Real-IP``, ``X-Forwarded-For``). For ``X-Forwarded-For`` the client is
    ``ONDAS_TRUSTED_PROXY_COUNT`` entries from the right: entries further left
    were written by the client and prove nothing.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    header = settings.ONDAS_CLIENT_IP_HEADER
    if not header:
        return remote
    raw = str(request.META.get("HTTP_" + header.upper().replace("-", "_"), ""))
    hops = [part.strip() for part in raw.split(",") if part.strip()]
    if not hops:
        return remote
    count = max(1, settings.ONDAS_TRUSTED_PROXY_COUNT)
    candidate = hops[-count] if len(hops) >= count else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
