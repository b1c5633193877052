from __future__ import annotations

from django.utils.translation import gettext as _

from ondas.core.errors import ErrorCode, OndasError


class PayoutMonthInvalid(OndasError):
    code = ErrorCode.PAYOUT_MONTH_INVALID
    http_status = 400

    def __init__(self, *, value: str) -> None:
        super().__init__(
            _("“%(value)s” is not a month: write it as YYYY-MM, such as 2026-11.")
            % {"value": value},
            value=value,
        )


class PayoutPeriodNotOver(OndasError):
    code = ErrorCode.PAYOUT_PERIOD_NOT_OVER
    http_status = 409

    def __init__(self, *, month: str) -> None:
        super().__init__(
            _("%(month)s is not over yet: a period closes once its month has ended.")
            % {"month": month},
            month=month,
        )


class PayoutPeriodNotClosed(OndasError):
    code = ErrorCode.PAYOUT_PERIOD_NOT_CLOSED
    http_status = 409

    def __init__(self, *, month: str) -> None:
        super().__init__(
            _("%(month)s is not closed, so there is nothing to reopen.")
            % {"month": month},
            month=month,
        )
