"""Billing's pages: the storefront, subscribing, cancelling, and Stripe's webhook.

Views read the request, call one selector or service, and render or redirect;
billing errors (OndasError) raised here become error pages in the web
middleware. The account page's subscription and receipts sections are
registered in ``apps.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from ondas.accounts.models import User
from ondas.accounts.types import AuthedHttpRequest
from ondas.billing.errors import (
    PaymentDeclined,
    PaymentMethodRefused,
    SubscriptionNotFound,
    TrialUnavailable,
    WebhookPayloadInvalid,
)
from ondas.billing.forms import CardForm
from ondas.billing.models import Plan, Subscription
from ondas.billing.providers.offline import payment_method_from_test_card
from ondas.billing.providers.stripe import StripeProvider
from ondas.billing.selectors import (
    PlanOffer,
    storefront_for,
    subscription_get_for_user,
    subscription_overview,
)
from ondas.billing.services import (
    stripe_checkout_offer,
    stripe_webhook_receive,
    subscription_cancel,
    subscription_checkout_url,
    subscription_resume,
    subscription_start,
    subscription_start_stripe,
)
from ondas.billing.tokens import charge_consent_make, charge_consent_read
from ondas.core import clock
from ondas.core.answers import answers_json
from ondas.core.errors import OndasError

logger = logging.getLogger(__name__)


def _day(moment: datetime) -> str:
    """A date as the page's language writes it, in the site's time zone."""
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def _site_url(name: str) -> str:
    """An absolute address on this site, for Stripe to send people back to."""
    return settings.SITE_URL + reverse(name)


# The storefront ----------------------------------------------------------


@require_safe
def plan_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user if isinstance(request.user, User) else None
    storefront = storefront_for(user=user)
    return render(request, "billing/plans.html", {"storefront": storefront})


# Subscribing ----------------------------------------------------------------
#
# A plan's free trial is never quietly replaced by a charge. When the address
# has had its trial, the subscribe page says so and its button names the
# amount. When the card has had one (known only once it is entered), the
# person is shown what it costs today and asked to confirm, or to use
# another card (charge_confirm.html); with Stripe, whose Checkout only saves
# the card, that page comes back from Checkout before anything is charged.


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_view(request: AuthedHttpRequest, plan_slug: str) -> HttpResponse:
    storefront = storefront_for(user=request.user)
    offer = storefront.offer_for_sale(slug=plan_slug)  # PlanNotOffered: 404
    context: dict[str, object] = {
        "offer": offer,
        "subscription": storefront.subscription,
    }
    if settings.ONDAS_PAYMENT_PROVIDER == "stripe":
        return _subscribe_with_stripe(request, offer, context)
    return _subscribe_with_test_card(request, offer, context)


def _subscribe_with_test_card(
    request: AuthedHttpRequest, offer: PlanOffer, context: dict[str, object]
) -> HttpResponse:
    form = CardForm(request.POST or None)
    context["form"] = form
    if request.method != "POST" or not form.is_valid():
        status = 400 if form.errors else 200
        return render(request, "billing/subscribe.html", context, status=status)
    try:
        method = payment_method_from_test_card(form.cleaned_data["card_number"])
        sub = subscription_start(
            user=request.user,
            plan=offer.plan,
            payment_method=method,
            provider="offline",
            now=clock.now(),
            accept_charge=form.cleaned_data["accept_charge"],
        )
    except (PaymentDeclined, PaymentMethodRefused) as exc:
        form.add_payment_error(exc)
        return render(
            request, "billing/subscribe.html", context, status=exc.http_status
        )
    except TrialUnavailable as exc:
        consent = charge_consent_make(
            user_id=request.user.pk, plan_slug=offer.plan.slug, payment_method=method
        )
        return _charge_confirm(request, offer.plan, exc, consent=consent)
    messages.success(request, _started_message(sub))
    return redirect("accounts:account")


def _charge_confirm(
    request: AuthedHttpRequest,
    plan: Plan,
    error: TrialUnavailable,
    *,
    consent: str = "",
    session_id: str = "",
) -> HttpResponse:
    """Say that there is no trial and what is charged today; ask to confirm."""
    context = {
        "plan": plan,
        "refusal": error.reason,
        "consent": consent,
        "session_id": session_id,
        "card_form": CardForm() if consent else None,
    }
    return render(request, "billing/charge_confirm.html", context)


@login_required
@require_POST
def subscribe_confirm_view(request: AuthedHttpRequest, plan_slug: str) -> HttpResponse:
    """Pay today with the test card the confirmation page was for."""
    offer = storefront_for(user=request.user).offer_for_sale(slug=plan_slug)
    method = charge_consent_read(  # ChargeConsentInvalid: 400
        token=request.POST.get("consent", ""),
        user_id=request.user.pk,
        plan_slug=offer.plan.slug,
    )
    sub = subscription_start(
        user=request.user,
        plan=offer.plan,
        payment_method=method,
        provider="offline",
        now=clock.now(),
        accept_charge=True,
    )  # PaymentDeclined (402) and AlreadySubscribed (409) become error pages
    messages.success(request, _started_message(sub))
    return redirect("accounts:account")


def _started_message(sub: Subscription) -> str:
    if sub.trial_end is not None:
        return _(
            "Your free trial of %(plan)s has started. It runs until %(date)s; "
            "cancel before then and you pay nothing."
        ) % {"plan": sub.plan.name, "date": _day(sub.trial_end)}
    if sub.provider == "stripe":
        return _(
            "Your %(plan)s subscription is active. Its receipt appears below as "
            "soon as Stripe confirms the payment."
        ) % {"plan": sub.plan.name}
    return _("Your %(plan)s subscription is active. Your receipt is below.") % {
        "plan": sub.plan.name
    }


def _subscribe_with_stripe(
    request: AuthedHttpRequest, offer: PlanOffer, context: dict[str, object]
) -> HttpResponse:
    if request.method != "POST":
        return render(request, "billing/subscribe.html", context)
    back = reverse("billing:checkout-return", args=[offer.plan.slug])
    url = subscription_checkout_url(
        user=request.user,
        plan=offer.plan,
        # Stripe fills in the session, whose saved card the page then reads.
        success_url=settings.SITE_URL + back + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=_site_url("billing:checkout-cancel"),
    )
    return redirect(url)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_return_view(request: AuthedHttpRequest, plan_slug: str) -> HttpResponse:
    """Back from Stripe with a card saved: say what it gets; start on a POST."""
    plan = storefront_for(user=request.user).offer_for_sale(slug=plan_slug).plan
    session_id = request.GET.get("session_id") or request.POST.get("session_id", "")
    if request.method != "POST":
        offer = stripe_checkout_offer(
            user=request.user, plan=plan, session_id=session_id
        )
        return render(request, "billing/checkout_offer.html", {"stripe_offer": offer})
    try:
        sub = subscription_start_stripe(
            user=request.user,
            plan=plan,
            session_id=session_id,
            accept_charge=request.POST.get("accept_charge") == "1",
            now=clock.now(),
        )
    except TrialUnavailable as exc:  # the card's trial went to someone meanwhile
        return _charge_confirm(request, plan, exc, session_id=session_id)
    messages.success(request, _started_message(sub))
    return redirect("accounts:account")


@never_cache
@login_required
@require_safe
def checkout_success_view(request: AuthedHttpRequest) -> HttpResponse:
    overview = subscription_overview(user=request.user, now=clock.now())
    return render(request, "billing/checkout_success.html", {"overview": overview})


@login_required
@require_safe
def checkout_cancel_view(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "billing/checkout_cancel.html")


# Changing a subscription ------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_cancel_view(
    request: AuthedHttpRequest, subscription_id: int
) -> HttpResponse:
    # SubscriptionNotFound (404) for someone else's subscription.
    sub = subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.method != "POST":
        return render(request, "billing/cancel_confirm.html", {"subscription": sub})
    sub = subscription_cancel(
        subscription=sub, acting_user=request.user, now=clock.now()
    )
    messages.success(request, _cancelled_message(sub))
    return redirect("accounts:account")


def _cancelled_message(sub: Subscription) -> str:
    if not sub.is_live:  # an overdue subscription ends at once
        return _("Your subscription has ended. Nothing more will be charged.")
    return _(
        "Your subscription is cancelled: nothing more will be charged, and you "
        "can keep listening until %(date)s."
    ) % {"date": _day(sub.current_period_end)}


@login_required
@require_POST
def subscription_resume_view(
    request: AuthedHttpRequest, subscription_id: int
) -> HttpResponse:
    sub = subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    sub = subscription_resume(
        subscription=sub, acting_user=request.user, now=clock.now()
    )
    messages.success(
        request,
        _("Your subscription carries on. It renews on %(date)s.")
        % {"date": _day(sub.current_period_end)},
    )
    return redirect("accounts:account")


@login_required
@require_POST
def payment_method_change_view(
    request: AuthedHttpRequest, subscription_id: int
) -> HttpResponse:
    """Send the person to Stripe's billing portal, where cards are changed."""
    sub = subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if sub.provider != "stripe" or not sub.provider_customer_ref:
        raise SubscriptionNotFound
    url = StripeProvider().portal_url(
        customer_ref=sub.provider_customer_ref,
        return_url=_site_url("accounts:account"),
    )
    return redirect(url)


# Stripe's webhook ----------------------------------------------------------------


@csrf_exempt  # Stripe signs the body instead; stripe_webhook_receive checks it
@require_POST
@answers_json  # a 503 (storage fault) makes Stripe retry later
def stripe_webhook_view(request: HttpRequest) -> JsonResponse:
    """Apply one Stripe event: 400 if unsigned or unreadable, else 200 (even twice)."""
    try:
        outcome = stripe_webhook_receive(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
            now=clock.now(),
        )
    except OndasError as exc:  # a bad signature, mostly
        logger.warning("Stripe webhook refused: %s", exc.code)
        return JsonResponse(exc.as_dict(), status=exc.http_status)
    except (ValueError, KeyError, TypeError):
        # Signed, but not JSON or not an event: Stripe's retries will not help.
        logger.warning("Stripe webhook refused: unreadable event", exc_info=True)
        error = WebhookPayloadInvalid()
        return JsonResponse(error.as_dict(), status=error.http_status)
    return JsonResponse({"received": True, "outcome": outcome})
