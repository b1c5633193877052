"""Account services, called directly with a clock the tests move."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from ondas import settings as ondas_settings
from ondas.accounts import services
from ondas.accounts.errors import (
    AccountDeleted,
    EmailAlreadyRegistered,
    EmailInvalid,
    InvalidCredentials,
    LastStaffMember,
    PasswordIncorrect,
    PasswordTooWeak,
    RoleChangeForbidden,
    SignInRateLimited,
    VerificationEmailRateLimited,
    VerificationLinkExpired,
    VerificationLinkInvalid,
)
from ondas.accounts.models import RateLimitEvent, User
from ondas.accounts.services import (
    user_authenticate,
    user_create,
    user_delete,
    user_password_reset_complete,
    user_send_verification_email,
    user_send_verification_email_for_token,
    user_set_role,
    user_verify_email,
)
from ondas.accounts.signals import user_deleting
from ondas.accounts.tokens import verification_token_make
from ondas.core.errors import ErrorCode
from tests.accounts.conftest import T0
from tests.accounts.factories import PASSWORD, user_make

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
LINK_RE = re.compile(r"http://\S+/account/verify/(?P<token>[^/\s]+)/")


def _token_from(message: mail.EmailMessage) -> str:
    match = LINK_RE.search(str(message.body))
    assert match, message.body
    return match["token"]


# Sign-up ------------------------------------------------------------------


def test_argon2_is_the_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ondas_settings.PASSWORD_HASHERS
    user = user_create(email="ana@example.com", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD) is True


def test_user_create_stores_trimmed_lowercase_email_unverified() -> None:
    user = user_create(email="  Ana.Perez@Example.COM ", password=PASSWORD, now=T0)
    user.refresh_from_db()
    assert user.email == user.username == "ana.perez@example.com"
    assert user.role == User.Role.LISTENER
    assert user.email_verified_at is None
    assert user.date_joined == T0
    assert user.is_active is True


def test_user_create_accepts_characters_usernames_would_refuse() -> None:
    user = user_create(email="o'brien+news@example.com", password=PASSWORD)
    assert user.email == "o'brien+news@example.com"


def test_user_create_emails_a_verification_link(
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(email="ana@example.com", password=PASSWORD, now=T0)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ana@example.com"]
    assert message.subject == "Confirm your email address for Ondas"
    assert "The link works for 72 hours." in str(message.body)
    user_verify_email(token=_token_from(message), now=T0)
    user.refresh_from_db()
    assert user.email_verified_at == T0


def test_user_create_sends_nothing_when_the_transaction_fails(
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_make(email="ana@example.com")
        with pytest.raises(EmailAlreadyRegistered):
            user_create(email="ana@example.com", password=PASSWORD)
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "email",
    ["ana@example.com", "ANA@EXAMPLE.COM", " Ana@Example.com ", "aNa@example.COM"],
)
def test_user_create_duplicate_email_in_any_case_raises(email: str) -> None:
    user_make(email="ana@example.com")
    with pytest.raises(EmailAlreadyRegistered) as exc_info:
        user_create(email=email, password=PASSWORD)
    assert exc_info.value.code == ErrorCode.EMAIL_ALREADY_REGISTERED
    assert exc_info.value.http_status == 409
    assert User.objects.count() == 1


def test_user_create_duplicate_lost_race_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two sign-ups at once: the database's unique index decides, clearly."""

    def insert_after_the_other(**kwargs: Any) -> None:
        raise IntegrityError("UNIQUE constraint failed: accounts_user.email")

    monkeypatch.setattr(services, "_user_insert", insert_after_the_other)
    with pytest.raises(EmailAlreadyRegistered):
        user_create(email="ana@example.com", password=PASSWORD)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@@example.com",
        "ana example@example.com",
        "ana@example",
        "ana@exa mple.com",
        "<script>@example.com",
        "a" * 140 + "@example.com",  # 152 characters: longer than usernames hold
    ],
)
def test_user_create_invalid_email_raises(email: str) -> None:
    with pytest.raises(EmailInvalid) as exc_info:
        user_create(email=email, password=PASSWORD)
    assert exc_info.value.code == ErrorCode.EMAIL_INVALID
    assert exc_info.value.field == "email"
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!x", "This password is too short. It must contain at least 8 characters."),
        ("4815162342", "This password is entirely numeric."),
        ("password123", "This password is too common."),
        ("ana.perez@example", "The password is too similar to the email address."),
        ("", "This password is too short."),
    ],
)
def test_user_create_weak_password_raises(password: str, reason: str) -> None:
    with pytest.raises(PasswordTooWeak) as exc_info:
        user_create(email="ana.perez@example.com", password=password)
    assert exc_info.value.code == ErrorCode.PASSWORD_TOO_WEAK
    assert any(r.startswith(reason) for r in exc_info.value.reasons), exc_info.value
    assert User.objects.count() == 0


# Sign-in and its rate limit ---------------------------------------------------


def test_user_authenticate_in_any_case_returns_the_user(user: User) -> None:
    assert (
        user_authenticate(email=" ANA@example.com", password=PASSWORD, client_ip=IP)
        == user
    )


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ana@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("ana@example.com", ""),
    ],
)
def test_user_authenticate_bad_credentials_raise(
    user: User, email: str, password: str
) -> None:
    with pytest.raises(InvalidCredentials) as exc_info:
        user_authenticate(email=email, password=password, client_ip=IP)
    assert exc_info.value.code == ErrorCode.INVALID_CREDENTIALS


def _fail(email: str, *, ip: str = IP, times: int = 1, now: Any = T0) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            user_authenticate(email=email, password="not it", client_ip=ip, now=now)


def test_user_authenticate_after_max_failures_refuses_without_checking_password(
    user: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 3
    settings.ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS = 900
    _fail("ana@example.com", times=3)

    def must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the password was checked")

    monkeypatch.setattr(services, "authenticate", must_not_run)
    with pytest.raises(SignInRateLimited) as exc_info:
        user_authenticate(
            email="Ana@Example.com", password=PASSWORD, client_ip="198.51.100.1", now=T0
        )
    assert exc_info.value.code == ErrorCode.SIGN_IN_RATE_LIMITED
    assert exc_info.value.http_status == 429
    assert exc_info.value.retry_after == 900
    assert "please wait 15 minutes" in exc_info.value.message


def test_user_authenticate_limit_lifts_when_failures_leave_the_window(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 2
    settings.ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS = 600
    _fail("ana@example.com", now=T0)
    _fail("ana@example.com", now=T0 + timedelta(minutes=4))
    with pytest.raises(SignInRateLimited) as exc_info:
        user_authenticate(
            email="ana@example.com",
            password=PASSWORD,
            client_ip=IP,
            now=T0 + timedelta(minutes=5),
        )
    assert exc_info.value.retry_after == 5 * 60  # when the first failure leaves
    later = T0 + timedelta(minutes=10, seconds=1)
    assert (
        user_authenticate(
            email="ana@example.com", password=PASSWORD, client_ip=IP, now=later
        )
        == user
    )


def test_user_authenticate_success_resets_the_email_counter(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 3
    _fail("ana@example.com", times=2)
    user_authenticate(email="ana@example.com", password=PASSWORD, client_ip=IP, now=T0)
    _fail("ana@example.com", times=2)
    assert (
        user_authenticate(
            email="ana@example.com", password=PASSWORD, client_ip=IP, now=T0
        )
        == user
    )


def test_user_authenticate_counts_failures_per_client_address(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_IP = 4
    for n in range(4):
        _fail(f"guess{n}@example.com", ip=IP)
    with pytest.raises(SignInRateLimited):
        user_authenticate(
            email="ana@example.com", password=PASSWORD, client_ip=IP, now=T0
        )
    # Another address is not held back by this one's failures.
    assert (
        user_authenticate(
            email="ana@example.com", password=PASSWORD, client_ip="198.51.100.9", now=T0
        )
        == user
    )


def test_user_authenticate_success_keeps_the_address_counter(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_IP = 3
    _fail("other@example.com", times=2)
    user_authenticate(email="ana@example.com", password=PASSWORD, client_ip=IP, now=T0)
    _fail("other2@example.com")
    with pytest.raises(SignInRateLimited):
        user_authenticate(
            email="ana@example.com", password=PASSWORD, client_ip=IP, now=T0
        )


def test_user_authenticate_ipv6_counts_per_network(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_IP = 2
    _fail("x@example.com", ip="2001:db8:1:2::1")
    _fail("y@example.com", ip="2001:db8:1:2:ffff::9")
    with pytest.raises(SignInRateLimited):
        user_authenticate(
            email="ana@example.com",
            password=PASSWORD,
            client_ip="2001:db8:1:2::77",
            now=T0,
        )


def test_failure_records_hold_no_address(user: User) -> None:
    _fail("ana@example.com", times=2)
    keys = list(
        RateLimitEvent.objects.exclude(
            scope=RateLimitEvent.Scope.VERIFICATION_EMAIL
        ).values_list("key", flat=True)
    )
    assert len(keys) == 4  # by email and by client address, twice
    assert not any("ana" in key or "203.0" in key for key in keys)


def test_failures_older_than_the_window_are_purged(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS = 60
    _fail("ana@example.com", now=T0)
    _fail("other@example.com", ip="198.51.100.2", now=T0 + timedelta(minutes=2))
    assert RateLimitEvent.objects.filter(created_at=T0).count() == 0


# Email verification ------------------------------------------------------------


def test_user_verify_email_marks_the_address_confirmed(user: User) -> None:
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    verified = user_verify_email(token=token, now=T0 + timedelta(hours=1))
    assert verified.email_verified_at == T0 + timedelta(hours=1)
    assert verified.is_email_verified is True


def test_user_verify_email_at_the_last_second_works(
    user: User, settings: Settings
) -> None:
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    max_age = timedelta(seconds=settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS)
    assert user_verify_email(token=token, now=T0 + max_age).is_email_verified is True


def test_user_verify_email_expired_link_raises(user: User, settings: Settings) -> None:
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    max_age = timedelta(seconds=settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS)
    with pytest.raises(VerificationLinkExpired) as exc_info:
        user_verify_email(token=token, now=T0 + max_age + timedelta(seconds=1))
    assert exc_info.value.code == ErrorCode.VERIFICATION_LINK_EXPIRED
    user.refresh_from_db()
    assert user.email_verified_at is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: ("X" if t[0] != "X" else "Y") + t[1:],  # payload changed
        lambda t: t.split(":")[0],  # signature cut off
        lambda t: "",
        lambda t: "not-a-token",
    ],
)
def test_user_verify_email_tampered_link_raises(user: User, damage: Any) -> None:
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    with pytest.raises(VerificationLinkInvalid) as exc_info:
        user_verify_email(token=damage(token), now=T0)
    assert exc_info.value.code == ErrorCode.VERIFICATION_LINK_INVALID


def test_user_verify_email_for_a_changed_address_raises(user: User) -> None:
    token = verification_token_make(user_id=user.pk, email="old@example.com", now=T0)
    with pytest.raises(VerificationLinkInvalid):
        user_verify_email(token=token, now=T0)


def test_user_verify_email_twice_succeeds(user: User) -> None:
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    user_verify_email(token=token, now=T0)
    again = user_verify_email(token=token, now=T0 + timedelta(days=30))
    assert again.email_verified_at == T0


def test_user_send_verification_email_is_limited_per_hour(
    settings: Settings,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.ONDAS_VERIFICATION_EMAILS_PER_HOUR = 3
    with django_capture_on_commit_callbacks(execute=True):
        user = user_make(email="ana@example.com", now=T0)  # the first email
        user_send_verification_email(user=user, now=T0 + timedelta(minutes=1))
        user_send_verification_email(user=user, now=T0 + timedelta(minutes=2))
        with pytest.raises(VerificationEmailRateLimited) as exc_info:
            user_send_verification_email(user=user, now=T0 + timedelta(minutes=3))
        user_send_verification_email(user=user, now=T0 + timedelta(minutes=61))
    assert exc_info.value.http_status == 429
    assert len(mailoutbox) == 4


def test_user_send_verification_email_for_an_expired_link_sends_a_fresh_one(
    user: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    old = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    later = T0 + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        user_send_verification_email_for_token(token=old, now=later)
    assert len(mailoutbox) == 1
    assert user_verify_email(
        token=_token_from(mailoutbox[0]), now=later
    ).is_email_verified


def test_user_send_verification_email_when_verified_sends_nothing(
    user: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user_verify_email(
        token=verification_token_make(user_id=user.pk, email=user.email, now=T0), now=T0
    )
    with django_capture_on_commit_callbacks(execute=True):
        user_send_verification_email(user=user, now=T0)
    assert mailoutbox == []


def test_verification_email_failure_is_logged_without_the_address(
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """A mail server that is down does not undo the sign-up."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with (
        caplog.at_level(logging.INFO),
        django_capture_on_commit_callbacks(execute=True),
    ):
        user = user_create(email="ana@example.com", password=PASSWORD)
    assert User.objects.filter(pk=user.pk).exists()
    assert "Could not send the verification email" in caplog.text
    assert "ana@example.com" not in caplog.text


# Roles --------------------------------------------------------------------


def test_user_set_role_by_a_non_staff_member_raises(user: User) -> None:
    other = user_make(email="bea@example.com")
    with pytest.raises(RoleChangeForbidden) as exc_info:
        user_set_role(user=other, role=User.Role.CREATOR, acting_user=user)
    assert exc_info.value.http_status == 403
    other.refresh_from_db()
    assert other.role == User.Role.LISTENER


def test_user_set_role_keeps_is_staff_in_step(
    user: User, staff: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ondas.audit"):
        creator = user_set_role(user=user, role=User.Role.CREATOR, acting_user=staff)
        assert (creator.role, creator.is_staff) == (User.Role.CREATOR, False)
        promoted = user_set_role(user=user, role=User.Role.STAFF, acting_user=staff)
        assert (promoted.role, promoted.is_staff) == (User.Role.STAFF, True)
        demoted = user_set_role(user=user, role=User.Role.LISTENER, acting_user=staff)
    assert (demoted.role, demoted.is_staff) == (User.Role.LISTENER, False)
    assert (
        f"Role of account {user.pk} changed from listener to creator by account {staff.pk}"
        in caplog.text
    )
    assert "@" not in caplog.text


def test_user_set_role_refuses_to_demote_the_last_staff_member(staff: User) -> None:
    User.objects.filter(is_staff=True).exclude(pk=staff.pk).update(is_staff=False)
    with pytest.raises(LastStaffMember) as exc_info:
        user_set_role(user=staff, role=User.Role.LISTENER, acting_user=staff)
    assert exc_info.value.code == ErrorCode.LAST_STAFF_MEMBER
    staff.refresh_from_db()
    assert staff.is_staff is True


# Deletion -----------------------------------------------------------------


def test_user_delete_with_a_wrong_password_keeps_everything(user: User) -> None:
    with pytest.raises(PasswordIncorrect) as exc_info:
        user_delete(user=user, password="not mine", client_ip=IP, now=T0)
    assert exc_info.value.code == ErrorCode.PASSWORD_INCORRECT
    user.refresh_from_db()
    assert (user.email, user.is_active, user.deleted_at) == (
        "ana@example.com",
        True,
        None,
    )


def test_user_delete_anonymises_and_keeps_the_row(user: User) -> None:
    User.objects.filter(pk=user.pk).update(first_name="Ana", last_name="Pérez")
    user.refresh_from_db()
    deleted = user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    row = User.objects.get(pk=user.pk)
    assert row.email == row.username == f"deleted-{user.pk}@deleted.invalid"
    assert (row.first_name, row.last_name) == ("", "")
    assert row.has_usable_password() is False
    assert row.is_active is False
    assert row.deleted_at == T0 == deleted.deleted_at
    assert row.is_deleted is True
    assert not User.objects.filter(email="ana@example.com").exists()


def test_user_delete_sends_user_deleting_before_removing_data(user: User) -> None:
    seen: list[tuple[str, str, bool]] = []

    def receiver(sender: type[User], user: User, now: Any, **kwargs: Any) -> None:
        stored = User.objects.get(pk=user.pk)
        # Receivers run outside any transaction: billing may use durable ones.
        with transaction.atomic(durable=True):
            pass
        seen.append((user.email, stored.email, stored.is_active))

    user_deleting.connect(receiver, dispatch_uid="test.receiver")
    try:
        user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    finally:
        user_deleting.disconnect(dispatch_uid="test.receiver")
    assert seen == [("ana@example.com", "ana@example.com", True)]


def test_user_delete_stops_when_a_receiver_fails(user: User) -> None:
    def receiver(**kwargs: Any) -> None:
        raise RuntimeError("payment provider unreachable")

    user_deleting.connect(receiver, dispatch_uid="test.failing")
    try:
        with pytest.raises(RuntimeError):
            user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    finally:
        user_deleting.disconnect(dispatch_uid="test.failing")
    user.refresh_from_db()
    assert (user.email, user.is_active) == ("ana@example.com", True)


def test_user_delete_logs_an_audit_line_without_the_email(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    audit = [r for r in caplog.records if r.name == "ondas.audit"]
    assert [r.getMessage() for r in audit] == [
        f"Account {user.pk} deleted by its owner"
    ]
    assert "ana@example.com" not in caplog.text


def test_user_delete_tells_the_former_address(
    user: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]
    assert mailoutbox[0].subject == "Your Ondas account has been deleted"


def test_user_delete_wrong_passwords_count_as_failed_sign_ins(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 2
    for _ in range(2):
        with pytest.raises(PasswordIncorrect):
            user_delete(user=user, password="guess", client_ip=IP, now=T0)
    with pytest.raises(SignInRateLimited):
        user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)


def test_user_delete_twice_raises(user: User) -> None:
    user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    with pytest.raises(AccountDeleted):
        user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)


def test_user_delete_refuses_the_last_staff_member(staff: User) -> None:
    User.objects.filter(is_staff=True).exclude(pk=staff.pk).update(is_staff=False)
    with pytest.raises(LastStaffMember):
        user_delete(user=staff, password=PASSWORD, client_ip=IP, now=T0)


def test_deleted_account_cannot_sign_in_and_its_address_is_free(user: User) -> None:
    user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    with pytest.raises(InvalidCredentials):
        user_authenticate(email="ana@example.com", password=PASSWORD, client_ip=IP)
    fresh = user_create(email="ana@example.com", password=PASSWORD)
    assert fresh.pk != user.pk


def test_deleted_account_verification_link_is_invalid(user: User) -> None:
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    user_delete(user=user, password=PASSWORD, client_ip=IP, now=T0)
    with pytest.raises(VerificationLinkInvalid):
        user_verify_email(token=token, now=T0)


# Password reset -------------------------------------------------------------


def test_user_password_reset_complete_confirms_the_address_and_forgives_failures(
    user: User, settings: Settings
) -> None:
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 2
    _fail("ana@example.com", times=2)
    done = user_password_reset_complete(user=user, now=T0)
    assert done.email_verified_at == T0
    assert (
        user_authenticate(
            email="ana@example.com", password=PASSWORD, client_ip="198.51.100.3"
        )
        == user
    )
