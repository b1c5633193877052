"""Words and amounts of billing pages, derived from the plan and kept in one place."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ondas.billing.errors import TrialRefusal, TrialUnavailable
from ondas.billing.models import LedgerEntry, Plan
from ondas.billing.money import format_money
from ondas.billing.selectors import PlanOffer

register = template.Library()


@register.simple_tag
def money(amount_minor: int, currency: str) -> str:
    """``{% money 9900 "MXN" %}`` → ``$99.00 MXN``."""
    return format_money(amount_minor, currency)


@register.simple_tag
def ledger_amount(entry: LedgerEntry) -> str:
    """A ledger row's amount, with a minus sign for money given back."""
    amount = format_money(entry.amount_minor, entry.currency)
    return amount if entry.kind == LedgerEntry.Kind.CHARGE else f"−{amount}"


@register.simple_tag
def price_per_period(plan: Plan) -> str:
    """``$99.00 MXN a month``."""
    price = format_money(plan.price_minor, plan.currency)
    if plan.interval == Plan.Interval.YEAR:
        return _("%(price)s a year") % {"price": price}
    return _("%(price)s a month") % {"price": price}


@register.simple_tag
def plan_benefits(plan: Plan) -> list[str]:
    """What the plan gives, in the storefront's order."""
    benefits = []
    hours = plan.audiobook_hours
    if hours and plan.interval == Plan.Interval.YEAR:
        benefits.append(
            ngettext(
                "%(hours)s hour of audiobooks every year",
                "%(hours)s hours of audiobooks every year",
                hours,
            )
            % {"hours": hours}
        )
    elif hours:
        benefits.append(
            ngettext(
                "%(hours)s hour of audiobooks every month",
                "%(hours)s hours of audiobooks every month",
                hours,
            )
            % {"hours": hours}
        )
    if plan.includes_exclusive:
        benefits.append(_("Exclusive podcasts, for subscribers only"))
    benefits.append(_("All the free podcasts"))
    if plan.is_free:
        benefits.append(_("No card, no account needed to listen"))
    else:
        benefits.append(_("No commitment: cancel whenever you like"))
    return benefits


@register.simple_tag
def offer_terms(offer: PlanOffer) -> str:
    """The deal in one sentence: trial, then price, and how to leave."""
    plan = offer.plan
    if plan.is_free:
        return _("Free for good.")
    per_period = price_per_period(plan)
    if offer.trial_days:
        return ngettext(
            "%(days)s-day free trial, then %(price)s, cancel anytime.",
            "%(days)s-day free trial, then %(price)s, cancel anytime.",
            offer.trial_days,
        ) % {"days": offer.trial_days, "price": per_period}
    if offer.trial_used:
        return _(
            "No free trial: your email address has already had one. You will be "
            "charged %(amount)s today, then %(price)s; cancel anytime."
        ) % {
            "amount": format_money(plan.price_minor, plan.currency),
            "price": per_period,
        }
    return _("%(price)s, cancel anytime.") % {"price": per_period}


@register.simple_tag
def offer_action(offer: PlanOffer) -> str:
    """The words on the button that starts the plan."""
    if offer.trial_days:
        return ngettext(
            "Start the %(days)s-day free trial",
            "Start the %(days)s-day free trial",
            offer.trial_days,
        ) % {"days": offer.trial_days}
    return _("Subscribe to %(plan)s") % {"plan": offer.plan.name}


@register.simple_tag
def pay_today_action(plan: Plan) -> str:
    """The words on a button that charges the first period at once."""
    return _("Pay %(amount)s today") % {
        "amount": format_money(plan.price_minor, plan.currency)
    }


@register.simple_tag
def no_trial_statement(refusal: str, plan: Plan) -> str:
    """Why there is no free trial, and what is charged today, in one sentence."""
    return TrialUnavailable(
        reason=TrialRefusal(refusal),
        amount_minor=plan.price_minor,
        currency=plan.currency,
    ).message
