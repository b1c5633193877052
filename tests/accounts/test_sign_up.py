"""Sign-up gives the same answer for a free and a taken address; the mailbox's
owner learns the rest by email. A new account is finished from its link."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now as timezone_now
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from ondas.accounts import signup
from ondas.accounts.errors import (
    EmailInvalid,
    PasswordTooWeak,
    SignUpAlreadyConfirmed,
    SignUpRateLimited,
)
from ondas.accounts.models import RateLimitEvent, User
from ondas.accounts.signup import user_sign_up, user_sign_up_confirm
from ondas.accounts.tokens import verification_token_make
from ondas.core.errors import ErrorCode
from tests.accounts.conftest import T0
from tests.accounts.factories import PASSWORD, user_make

pytestmark = pytest.mark.django_db

SIGN_UP = reverse("accounts:sign-up")
SENT = reverse("accounts:sign-up-sent")
SIGN_IN = reverse("accounts:sign-in")
ACCOUNT = reverse("accounts:account")
RESEND = reverse("accounts:verify-email-resend")
CHECKOUT = "/plans/premium/subscribe/"
OTHER_PASSWORD = "somebody else's pass phrase"
IP = "203.0.113.7"
CSRF = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]*')


def _links_in(message: mail.EmailMessage) -> list[str]:
    """The paths (with their query) of the links in an email, in order."""
    return re.findall(r"https?://[^/\s]+(/\S+)", str(message.body))


def _fill(email: str, password: str = PASSWORD, **extra: str) -> dict[str, str]:
    return {"email": email, "password1": password, "password2": password, **extra}


def _sign_up(
    client: Client,
    capture: DjangoCaptureOnCommitCallbacks,
    email: str,
    password: str = PASSWORD,
    **extra: str,
) -> tuple[int, str, bytes, list[str]]:
    """Post the sign-up form; return status, Location, body and cookie names."""
    with capture(execute=True):
        response = client.post(SIGN_UP, _fill(email, password, **extra))
    return (
        response.status_code,
        response.get("Location", ""),
        response.content,
        sorted(response.cookies),
    )


def _signs_in(client: Client, email: str, password: str) -> bool:
    response = client.post(SIGN_IN, {"email": email, "password": password})
    return response.status_code == 302


def _confirm(client: Client, path: str) -> str:
    """Open a sign-up link and press its button; return where it leads."""
    page = client.get(path)
    assert page.status_code == 200
    assert "Finish creating your account" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    return str(response["Location"])


# The answer -----------------------------------------------------------------


def test_sign_up_answers_a_taken_address_as_it_answers_a_free_one(
    settings: Settings,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    owner = user_make(email="ana@example.com")
    answers = {}
    pages = {}
    for email in ("ana@example.com", "bea@example.com"):
        browser = Client()
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        answers[email] = _sign_up(
            browser, django_capture_on_commit_callbacks, email, next=CHECKOUT
        )
        sent = browser.get(SENT)
        assert sent.status_code == 200
        pages[email] = CSRF.sub("", sent.content.decode().replace(email, "EMAIL"))
        assert "_auth_user_id" not in browser.session

    assert answers["ana@example.com"] == answers["bea@example.com"]
    assert answers["ana@example.com"][:2] == (302, SENT)
    assert pages["ana@example.com"] == pages["bea@example.com"]
    assert "We sent a message to <strong>EMAIL</strong>" in pages["ana@example.com"]

    # One account per address: the taken one is untouched, the free one waits.
    assert User.objects.filter(email="ana@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) is True
    assert owner.check_password(OTHER_PASSWORD) is False
    assert owner.is_active is True
    newcomer = User.objects.get(email="bea@example.com")
    assert newcomer.is_pending is True
    assert [m.to for m in mailoutbox] == [["ana@example.com"], ["bea@example.com"]]


def test_sign_up_does_the_same_work_for_a_taken_and_a_free_address(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Both hash the password, try one insert and queue one email: no path is
    measurably quicker."""
    user_make(email="ana@example.com")
    work = {}
    for email in ("ana@example.com", "bea@example.com"):
        hashing = mock.Mock(wraps=User.set_password)
        queue = mock.Mock(wraps=signup.sign_up_email_task)
        with (
            mock.patch.object(User, "set_password", autospec=True) as set_password,
            mock.patch.object(signup, "sign_up_email_task", queue),
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            set_password.side_effect = hashing
            user_sign_up(email=email, password=PASSWORD, client_ip=IP, now=T0)
        inserts = [
            q["sql"]
            for q in queries
            if q["sql"].startswith('INSERT INTO "accounts_user"')
        ]
        work[email] = (hashing.call_count, len(inserts), queue.enqueue.call_count)
    assert work["ana@example.com"] == work["bea@example.com"] == (1, 1, 1)


def test_sign_up_form_errors_do_not_depend_on_the_address(client: Client) -> None:
    user_make(email="ana@example.com")
    for email in ("ana@example.com", "bea@example.com"):
        response = client.post(SIGN_UP, _fill(email, "12345678"))
        assert response.status_code == 400
        assert "This password is too common." in response.content.decode()
        assert "already" not in response.content.decode()


@pytest.mark.parametrize(
    ("email", "password", "error"),
    [
        ("ana@", PASSWORD, EmailInvalid),
        ("ana@example.com", "password123", PasswordTooWeak),
    ],
)
def test_user_sign_up_refuses_bad_input_without_counting_it(
    email: str, password: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        user_sign_up(email=email, password=password, client_ip=IP, now=T0)
    assert not User.objects.exists()
    assert not RateLimitEvent.objects.exists()


# A free address ---------------------------------------------------------------


def test_new_account_is_finished_from_its_link_and_carries_on(
    client: Client,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _sign_up(
        client, django_capture_on_commit_callbacks, "Bea@Example.com", next=CHECKOUT
    )

    # Not signed in yet, and the password does not open the account yet.
    refused = client.post(SIGN_IN, {"email": "bea@example.com", "password": PASSWORD})
    assert refused.status_code == 400
    assert "open the link we emailed you first" in refused.content.decode()

    (message,) = mailoutbox
    assert message.to == ["bea@example.com"]
    assert message.subject == "Finish creating your Ondas account"
    assert "The link works for 72 hours." in str(message.body)
    (link,) = _links_in(message)
    assert link.endswith("?next=%2Fplans%2Fpremium%2Fsubscribe%2F")

    page = client.get(link)
    assert "bea@example.com" in page.content.decode()
    assert User.objects.get(email="bea@example.com").is_pending is True  # looking

    assert _confirm(client, link) == CHECKOUT
    user = User.objects.get(email="bea@example.com")
    assert user.is_active is True and user.is_email_verified is True
    assert client.session["_auth_user_id"] == str(user.pk)
    html = client.get(ACCOUNT).content.decode()
    assert "Welcome to Ondas! Your account is ready." in html
    assert "Please confirm your email address." not in html

    # The link has done its work: later it only says to sign in.
    stranger = Client()
    again = stranger.get(link)
    assert again.status_code == 302
    assert again["Location"].startswith(SIGN_IN)
    assert "_auth_user_id" not in stranger.session
    assert _signs_in(stranger, "bea@example.com", PASSWORD)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        (CHECKOUT, CHECKOUT),
        ("https://evil.example/", ACCOUNT),
        ("//evil.example/", ACCOUNT),
    ],
)
def test_new_account_link_follows_only_a_safe_next(
    client: Client,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    next_url: str,
    expected: str,
) -> None:
    _sign_up(
        client, django_capture_on_commit_callbacks, "bea@example.com", next=next_url
    )
    (link,) = _links_in(mailoutbox[0])
    # Whatever the link was made to say, the page checks it again.
    path = link.split("?")[0] + "?" + f"next={next_url}"
    assert _confirm(client, path) == expected


def test_expired_sign_up_link_sends_a_fresh_one(
    client: Client,
    settings: Settings,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user_sign_up(email="bea@example.com", password=PASSWORD, client_ip=IP)
    user = User.objects.get(email="bea@example.com")
    issued = timezone_now() - timedelta(
        seconds=settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS + 60
    )
    token = verification_token_make(user_id=user.pk, email=user.email, now=issued)
    old = reverse("accounts:sign-up-confirm", args=[token])

    for response in (client.get(old), client.post(old)):
        assert response.status_code == 400
        assert "This confirmation link has expired." in response.content.decode()
    assert User.objects.get(pk=user.pk).is_pending is True

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(RESEND, {"token": token}).status_code == 200
    (link,) = _links_in(mailoutbox[-1])
    assert link.startswith(reverse("accounts:sign-up-confirm", args=["x"])[:-3])
    assert _confirm(client, link) == ACCOUNT


def test_user_sign_up_confirm_twice_says_it_is_done() -> None:
    user_sign_up(email="bea@example.com", password=PASSWORD, client_ip=IP, now=T0)
    user = User.objects.get(email="bea@example.com")
    token = verification_token_make(user_id=user.pk, email=user.email, now=T0)
    assert user_sign_up_confirm(token=token, now=T0).is_active is True
    with pytest.raises(SignUpAlreadyConfirmed) as exc_info:
        user_sign_up_confirm(token=token, now=T0 + timedelta(days=30))
    assert exc_info.value.code == ErrorCode.SIGN_UP_ALREADY_CONFIRMED


def test_pending_account_is_refused_like_a_wrong_password(client: Client) -> None:
    user_make(email="ana@example.com")
    user_sign_up(email="bea@example.com", password=PASSWORD, client_ip=IP)
    pending = client.post(SIGN_IN, {"email": "bea@example.com", "password": PASSWORD})
    wrong = client.post(SIGN_IN, {"email": "ana@example.com", "password": "nope"})
    assert pending.status_code == wrong.status_code == 400
    shape = re.compile(CSRF.pattern + r"|(ana|bea)@example\.com")
    assert shape.sub("", pending.content.decode()) == shape.sub(
        "", wrong.content.decode()
    )


# A taken address ---------------------------------------------------------------


def test_owner_is_told_and_can_sign_in_or_choose_a_new_password(
    client: Client,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user_make(email="ana@example.com")
    _sign_up(
        client,
        django_capture_on_commit_callbacks,
        "ANA@example.com",
        OTHER_PASSWORD,
        next=CHECKOUT,
    )

    (message,) = mailoutbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Someone tried to sign up to Ondas with your address"
    body = " ".join(str(message.body).split())
    assert "It already has an account, so nothing was created" in body
    assert "which works for 3 days" in body
    sign_in, reset = _links_in(message)
    assert sign_in == f"{SIGN_IN}?next=%2Fplans%2Fpremium%2Fsubscribe%2F"

    form = client.get(reset, follow=True)
    assert form.status_code == 200
    new_password = "a brand new pass phrase"
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert _signs_in(client, "ana@example.com", new_password)


def test_unfinished_sign_up_is_finished_by_choosing_a_password(
    client: Client,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Whoever signed up first may not be the owner: the second sign-up's email
    lets the owner choose the password, which finishes the account."""
    with django_capture_on_commit_callbacks(execute=True):
        user_sign_up(email="bea@example.com", password=OTHER_PASSWORD, client_ip=IP)
    _sign_up(client, django_capture_on_commit_callbacks, "bea@example.com")

    first, second = mailoutbox
    assert first.subject == second.subject == "Finish creating your Ondas account"
    assert "was started on" in str(second.body)
    (reset,) = _links_in(second)
    assert "/password/reset/" in reset
    assert User.objects.filter(email="bea@example.com").count() == 1

    form = client.get(reset, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert done.status_code == 302
    user = User.objects.get(email="bea@example.com")
    assert (user.is_active, user.is_email_verified) == (True, True)
    assert _signs_in(client, "bea@example.com", PASSWORD)
    assert user.check_password(OTHER_PASSWORD) is False


def test_deactivated_account_is_told_nothing(
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    owner = user_make(email="ana@example.com")
    User.objects.filter(pk=owner.pk).update(is_active=False, last_login=T0)
    with django_capture_on_commit_callbacks(execute=True):
        user_sign_up(email="ana@example.com", password=PASSWORD, client_ip=IP)
    assert mailoutbox == []


# Limits --------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["ana@example.com", "bea@example.com"])
def test_sign_up_is_limited_per_address_whether_taken_or_not(
    client: Client,
    email: str,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    user_make(email="ana@example.com")
    for n in range(signup.SIGN_UPS_PER_ADDRESS):
        browser = Client(REMOTE_ADDR=f"198.51.100.{n}")
        assert _sign_up(browser, django_capture_on_commit_callbacks, email)[0] == 302

    status, _location, body, _cookies = _sign_up(
        client, django_capture_on_commit_callbacks, email
    )
    assert status == 429
    assert "Too many sign-ups with this address or from your network." in body.decode()
    assert len(mailoutbox) == signup.SIGN_UPS_PER_ADDRESS  # the owner's inbox too
    assert User.objects.filter(email=email).count() == 1


def test_sign_up_is_limited_per_client_network() -> None:
    for n in range(signup.SIGN_UPS_PER_CLIENT):
        user_sign_up(
            email=f"n{n}@example.com", password=PASSWORD, client_ip=f"2001:db8::{n}"
        )
    with pytest.raises(SignUpRateLimited) as exc_info:
        user_sign_up(
            email="late@example.com", password=PASSWORD, client_ip="2001:db8::ffff"
        )
    assert exc_info.value.http_status == 429
    assert exc_info.value.retry_after > 0
    assert not User.objects.filter(email="late@example.com").exists()
