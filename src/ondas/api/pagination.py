"""Cursor pagination: an opaque ``cursor`` in, a ``next`` cursor out.

A cursor is the ordering values of the last item given, as URL-safe base64
of JSON; the next page starts strictly after it (keyset pagination), so a
list walked page by page never repeats an item, whatever is added meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from ondas.core.errors import InvalidRequest

T = TypeVar("T", bound=Model)
MAX_LIMIT = 100


def _value(item: Model, name: str) -> object:
    value = getattr(item, name)
    return value.isoformat() if isinstance(value, datetime) else value


def _encode(values: list[object]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(cursor: str, size: int) -> list[object]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidRequest(reason=_("This cursor is not valid."), field="cursor")
    return values


def _after(order: Sequence[str], values: list[object]) -> Q:
    """Rows strictly after ``values`` in ``order`` (names, "-" for descending)."""
    condition = Q(pk__in=[])
    for i, field in enumerate(order):
        name = field.lstrip("-")
        lookup = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{lookup}": values[i]})
        for before, value in zip(order[:i], values[:i], strict=True):
            step &= Q(**{before.lstrip("-"): value})
        condition |= step
    return condition


def cursor_page(
    items: QuerySet[T], *, order: Sequence[str], cursor: str | None, limit: int
) -> tuple[list[T], str | None]:
    """One page of ``items`` in ``order`` (ending with a unique field), and the
    cursor of the next page (None at the end)."""
    limit = max(1, min(limit, MAX_LIMIT))
    items = items.order_by(*order)
    if cursor:
        try:
            items = items.filter(_after(order, _decode(cursor, len(order))))
        except (TypeError, ValueError) as error:  # a value of the wrong type
            raise InvalidRequest(
                reason=_("This cursor is not valid."), field="cursor"
            ) from error
    rows = list(items[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode([_value(last, f.lstrip("-")) for f in order])


def page_cursor(number: int) -> str:
    """The cursor of a numbered page (for lists ranked, not ordered by a key)."""
    return _encode(["page", number])


def page_from_cursor(cursor: str) -> int:
    """The page number a ``page_cursor`` stands for; InvalidRequest otherwise."""
    kind, number = _decode(cursor, 2)
    if kind != "page" or not isinstance(number, int) or number < 1:
        raise InvalidRequest(reason=_("This cursor is not valid."), field="cursor")
    return number
