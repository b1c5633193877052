"""Each show's numbers version (``ShowNumbersVersion``): what the cached
numbers pages are keyed by.

Every roll-up writer calls ``numbers_version_bump`` inside its own
transaction, with the shows whose numbers it changed, so the new version
becomes visible exactly when the new counts do: a reader that sees the new
counts sees the new version, and one that sees the old version was keyed on
the old counts. Today's counts move with each ingest batch and each
listening batch, and each of those bumps, so a page that includes today is
fresh after every batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F

from ondas.analytics.models import ShowNumbersVersion

# Ids per query, under every database's limit on bound parameters.
CHUNK = 500


def numbers_version_bump(*, show_ids: Iterable[int]) -> None:
    """Add one to the numbers version of each show; call it inside the
    transaction of the write."""
    # In id order: two writers take the rows in one order, so neither waits
    # on a row the other holds while holding one it wants.
    ids = sorted(set(show_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # The rows first (a missing one at 0), then the bump: two writers of
        # a new show then both wait on the same row, and both bumps count.
        ShowNumbersVersion.objects.bulk_create(
            [ShowNumbersVersion(show_id=pk) for pk in chunk], ignore_conflicts=True
        )
        ShowNumbersVersion.objects.filter(show_id__in=chunk).update(
            version=F("version") + 1
        )


def numbers_version_get(*, show_id: int) -> int:
    """The show's numbers version (0 before its first roll-up write); one query."""
    found = (
        ShowNumbersVersion.objects.filter(show_id=show_id)
        .values_list("version", flat=True)
        .first()
    )
    return found or 0
