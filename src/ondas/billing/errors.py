from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


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
