"""What other contexts add to a person's data export and to deleting an account.

Accounts imports none of them: each context registers, from its
``AppConfig.ready()``, the part of the export it owns and, if it has one, a
reason it refuses a deletion::

    from ondas.accounts.privacy import (
        ExportSection,
        export_section_register,
        deletion_check_register,
    )

    export_section_register(
        ExportSection(key="follows", build=follows_for_export, order=20)
    )
    deletion_check_register(key="studio.last-owner", check=last_owner_refusals)

``build(user)`` returns plain JSON values (dicts, lists, strings, numbers,
dates);
never a secret (no password hash, no key, no token), only what it is about.
``check(user)`` returns the sentences (translated) that explain why this
person cannot delete their account yet; an empty list lets it go ahead.
The checks run before ``accounts.signals.user_deleting`` is sent, so a refusal
leaves everything as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ondas.accounts.models import User


@dataclass(frozen=True)
class ExportSection:
    key: str
    build: Callable[[User], object]
    order: int = 100


_EXPORT: dict[str, ExportSection] = {}
_CHECKS: dict[str, Callable[[User], list[str]]] = {}


def export_section_register(section: ExportSection) -> None:
    """Add (or replace, by ``key``) a section of the data export."""
    _EXPORT[section.key] = section


def export_sections_registered() -> list[ExportSection]:
    """Return the registered export sections in file order."""
    return sorted(_EXPORT.values(), key=lambda section: (section.order, section.key))


def deletion_check_register(*, key: str, check: Callable[[User], list[str]]) -> None:
    """Add (or replace, by ``key``) a reason to refuse deleting an account."""
    _CHECKS[key] = check


def deletion_refusals(*, user: User) -> list[str]:
    """Return every reason this person cannot delete their account now."""
    return [reason for key in sorted(_CHECKS) for reason in _CHECKS[key](user)]
