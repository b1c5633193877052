"""Sections that other contexts add to the account page, without accounts importing them.

Billing, for example, registers its subscription and invoices sections from
its ``AppConfig.ready()``::

    from ondas.accounts.sections import AccountSection, account_section_register

    account_section_register(
        AccountSection(
            key="billing.subscription",
            template_name="billing/_account_subscription.html",
            get_context=lambda user: {"subscription": subscription_get_current(user=user)},
            order=10,
        )
    )

The account page renders each registered section, lowest ``order`` first,
inside its ``account_sections`` block (``{% account_section section %}``). The
section's template gets its own context, plus ``account_user`` and the request
(so ``{% csrf_token %}`` and ``{% url %}`` work).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ondas.accounts.models import User


@dataclass(frozen=True)
class AccountSection:
    key: str
    template_name: str
    get_context: Callable[[User], Mapping[str, object]]
    order: int = 100


@dataclass(frozen=True)
class RenderedSection:
    key: str
    template_name: str
    context: Mapping[str, object]


_SECTIONS: dict[str, AccountSection] = {}


def account_section_register(section: AccountSection) -> None:
    """Add (or replace, by ``key``) a section of the account page."""
    _SECTIONS[section.key] = section


def account_section_unregister(key: str) -> None:
    """Remove a section; tests use it to clean up."""
    _SECTIONS.pop(key, None)


def account_sections_registered() -> list[AccountSection]:
    """Return the registered sections in page order."""
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))
