from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _

from ondas.billing.money import format_money
from ondas.core.errors import ErrorCode, OndasError


class TrialRefusal(StrEnum):
    """Why a plan's free trial is not given: one trial per card, one per address."""

    CARD = "card"
    EMAIL = "email"


class InvalidTransition(OndasError):
    code = ErrorCode.SUBSCRIPTION_INVALID_TRANSITION
    http_status = 409

    def __init__(self, *, kind: str, from_status: str) -> None:
        super().__init__(
            _("This change is not possible for the subscription as it is now."),
            kind=kind,
            from_status=from_status,
        )


class AlreadySubscribed(OndasError):
    code = ErrorCode.ALREADY_SUBSCRIBED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(_("You already have a subscription."))


class PlanNotOffered(OndasError):
    code = ErrorCode.PLAN_NOT_OFFERED
    http_status = 404

    def __init__(self, *, slug: str) -> None:
        super().__init__(_("This plan is not offered."), slug=slug)


class SubscriptionNotFound(OndasError):
    code = ErrorCode.SUBSCRIPTION_NOT_FOUND
    http_status = 404

    def __init__(self) -> None:
        super().__init__(_("You have no subscription to change."))


class SubscriptionAlreadyCancelled(OndasError):
    code = ErrorCode.SUBSCRIPTION_ALREADY_CANCELLED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(_("This subscription is already cancelled."))


class SubscriptionNotResumable(OndasError):
    code = ErrorCode.SUBSCRIPTION_NOT_RESUMABLE
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _(
                "Only a cancelled subscription whose period has not ended can be resumed."
            )
        )


class PaymentDeclined(OndasError):
    code = ErrorCode.PAYMENT_DECLINED
    http_status = 402

    def __init__(self, *, reason: str) -> None:
        super().__init__(
            _("The payment was declined: %(reason)s") % {"reason": reason},
            reason=reason,
        )


class TrialUnavailable(OndasError):
    """The plan has a free trial, but not for this card or this address: the
    first period would be charged now, and the person has not agreed to that."""

    code = ErrorCode.TRIAL_UNAVAILABLE
    http_status = 409

    def __init__(
        self, *, reason: TrialRefusal, amount_minor: int, currency: str
    ) -> None:
        price = format_money(amount_minor, currency)
        if reason == TrialRefusal.CARD:
            message = _(
                "This card has already had a free trial, so there is none with "
                "it: if you go on, you will be charged %(price)s today."
            ) % {"price": price}
        else:
            message = _(
                "Your email address has already had a free trial, so there is "
                "none this time: if you go on, you will be charged %(price)s today."
            ) % {"price": price}
        super().__init__(
            message, reason=str(reason), amount_minor=amount_minor, currency=currency
        )
        self.reason = reason
        self.amount_minor = amount_minor
        self.currency = currency


class ChargeConsentInvalid(OndasError):
    code = ErrorCode.CHARGE_CONSENT_INVALID
    http_status = 400

    def __init__(self) -> None:
        super().__init__(
            _(
                "This confirmation has expired or does not belong to you. Nothing "
                "was charged; enter your card again."
            )
        )


class PaymentMethodRefused(OndasError):
    code = ErrorCode.PAYMENT_METHOD_REFUSED
    http_status = 400

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason)


class WebhookSignatureInvalid(OndasError):
    code = ErrorCode.WEBHOOK_SIGNATURE_INVALID
    http_status = 400

    def __init__(self) -> None:
        super().__init__(_("The webhook signature does not match."))


class WebhookPayloadInvalid(OndasError):
    code = ErrorCode.WEBHOOK_PAYLOAD_INVALID
    http_status = 400

    def __init__(self) -> None:
        super().__init__(_("The webhook body is not an event we can read."))
