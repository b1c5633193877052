"""What can go wrong with an account, in words a person can act on."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ondas.core.errors import ErrorCode, OndasError


class AccountFieldError(OndasError):
    """An error that belongs next to one field of a form."""

    field: str = "__all__"


class EmailInvalid(AccountFieldError):
    code = ErrorCode.EMAIL_INVALID
    field = "email"

    def __init__(self) -> None:
        super().__init__(
            _(
                "Enter a valid email address of at most 150 characters, "
                "like name@example.com."
            )
        )


class EmailAlreadyRegistered(AccountFieldError):
    code = ErrorCode.EMAIL_ALREADY_REGISTERED
    http_status = 409
    field = "email"

    def __init__(self) -> None:
        # No address in ``data``: errors may be logged.
        super().__init__(
            _(
                "An account with this email address already exists. "
                "Sign in, or reset your password if you have forgotten it."
            )
        )


class PasswordTooWeak(AccountFieldError):
    code = ErrorCode.PASSWORD_TOO_WEAK
    field = "password1"

    def __init__(self, *, reasons: Sequence[str]) -> None:
        super().__init__(" ".join(reasons), reasons=list(reasons))
        self.reasons = list(reasons)


class InvalidCredentials(AccountFieldError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        super().__init__(
            _(
                "That email address and password do not match. Check them and "
                "try again, or reset your password. If you have just created "
                "your account, open the link we emailed you first."
            )
        )


class PasswordIncorrect(AccountFieldError):
    code = ErrorCode.PASSWORD_INCORRECT
    field = "password"

    def __init__(self) -> None:
        super().__init__(_("That is not your current password."))


class SignInRateLimited(AccountFieldError):
    code = ErrorCode.SIGN_IN_RATE_LIMITED
    http_status = 429

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))  # round up: never say "0 minutes"
        super().__init__(
            ngettext(
                "Too many failed sign-in attempts. For your safety, please wait "
                "%(minutes)s minute before trying again, or reset your password.",
                "Too many failed sign-in attempts. For your safety, please wait "
                "%(minutes)s minutes before trying again, or reset your password.",
                minutes,
            )
            % {"minutes": minutes},
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class SignUpRateLimited(AccountFieldError):
    code = ErrorCode.SIGN_UP_RATE_LIMITED
    http_status = 429

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            ngettext(
                "Too many sign-ups with this address or from your network. Please "
                "wait %(minutes)s minute and try again.",
                "Too many sign-ups with this address or from your network. Please "
                "wait %(minutes)s minutes and try again.",
                minutes,
            )
            % {"minutes": minutes},
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class SignUpAlreadyConfirmed(OndasError):
    """The link that finishes a sign-up was used before: sign in instead."""

    code = ErrorCode.SIGN_UP_ALREADY_CONFIRMED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _("This account is already confirmed. Sign in with your password.")
        )


class VerificationLinkInvalid(OndasError):
    code = ErrorCode.VERIFICATION_LINK_INVALID

    def __init__(self) -> None:
        super().__init__(
            _(
                "This confirmation link is not valid. It may have been copied "
                "incompletely, or your email address has changed since it was sent."
            )
        )


class VerificationLinkExpired(OndasError):
    code = ErrorCode.VERIFICATION_LINK_EXPIRED

    def __init__(self, *, user_id: int) -> None:
        super().__init__(
            _("This confirmation link has expired. Ask for a new one below."),
            user_id=user_id,
        )
        self.user_id = user_id


class VerificationEmailRateLimited(OndasError):
    code = ErrorCode.VERIFICATION_EMAIL_RATE_LIMITED
    http_status = 429

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            _(
                "We have already sent you several confirmation emails. Please "
                "check your spam folder, or try again in an hour."
            ),
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class RoleChangeForbidden(OndasError):
    code = ErrorCode.ROLE_CHANGE_FORBIDDEN
    http_status = 403

    def __init__(self) -> None:
        super().__init__(_("Only staff can change a person's role."))


class LastStaffMember(AccountFieldError):
    code = ErrorCode.LAST_STAFF_MEMBER
    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _(
                "This is the last active staff account; make someone else staff "
                "first, or nobody could manage Ondas."
            )
        )


class AccountDeleted(OndasError):
    code = ErrorCode.ACCOUNT_DELETED
    http_status = 409

    def __init__(self) -> None:
        super().__init__(_("This account has been deleted."))


class AccountDeletionRefused(AccountFieldError):
    """Something another context owns must be settled first (``privacy``)."""

    code = ErrorCode.ACCOUNT_DELETION_REFUSED
    http_status = 409

    def __init__(self, *, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class AccessTokenInvalid(OndasError):
    """A bearer token that is unknown, revoked, or of an account that is gone."""

    code = ErrorCode.ACCESS_TOKEN_INVALID
    http_status = 401

    def __init__(self) -> None:
        super().__init__(_("This access token is not valid (unknown or revoked)."))


class DeviceCodeInvalid(AccountFieldError):
    code = ErrorCode.DEVICE_CODE_INVALID
    field = "user_code"

    def __init__(self) -> None:
        super().__init__(
            _(
                "That code is not waiting for approval: check it on your device. "
                "Codes work once, for a few minutes."
            )
        )


class DeviceCodeRateLimited(AccountFieldError):
    code = ErrorCode.DEVICE_CODE_RATE_LIMITED
    http_status = 429
    field = "user_code"

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            ngettext(
                "Too many wrong codes. Wait %(minutes)s minute and try again.",
                "Too many wrong codes. Wait %(minutes)s minutes and try again.",
                minutes,
            )
            % {"minutes": minutes},
            retry_after=retry_after,
        )
