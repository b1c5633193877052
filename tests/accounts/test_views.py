"""Account pages through the test client, as a person would use them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.timezone import now as timezone_now
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from ondas.accounts.models import User
from ondas.accounts.sections import (
    AccountSection,
    account_section_register,
    account_section_unregister,
)
from ondas.accounts.tokens import verification_token_make
from tests.accounts.factories import PASSWORD, user_make

pytestmark = pytest.mark.django_db

SIGN_UP = reverse("accounts:sign-up")
SIGN_IN = reverse("accounts:sign-in")
SIGN_OUT = reverse("accounts:sign-out")
ACCOUNT = reverse("accounts:account")
DELETE = reverse("accounts:delete")
RESEND = reverse("accounts:verify-email-resend")
NEW_PASSWORD = "a brand new pass phrase"


def _browser(settings: Settings, **defaults: Any) -> Client:
    browser = Client(**defaults)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


def _path_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert match, message.body
    return match[1]


# Sign-up -------------------------------------------------------------------


def test_sign_up_page_labels_every_field(client: Client) -> None:
    response = client.get(SIGN_UP)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("email", "password1", "password2"):
        assert f'<label for="id_{field}">' in html
    assert 'autocomplete="new-password"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'aria-describedby="id_password1_helptext"' in html


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (
            {"email": "ana@", "password1": PASSWORD, "password2": PASSWORD},
            400,
            "Enter a valid email address.",
        ),
        (
            {"email": "ana example.com", "password1": PASSWORD, "password2": PASSWORD},
            400,
            "Enter a valid email address.",
        ),
        (
            {
                "email": "ana@example.com",
                "password1": "12345678",
                "password2": "12345678",
            },
            400,
            "This password is too common.",
        ),
        (
            {"email": "ana@example.com", "password1": "short", "password2": "short"},
            400,
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            {
                "email": "ana@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD + "!",
            },
            400,
            "The two passwords are not the same.",
        ),
        (
            {"email": "", "password1": "", "password2": ""},
            400,
            "This field is required.",
        ),
    ],
)
def test_sign_up_bad_input_gets_a_clear_answer(
    client: Client, data: dict[str, str], status: int, message: str
) -> None:
    user_make(email="taken@example.com")
    response = client.post(SIGN_UP, data)
    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    assert 'role="alert"' in html
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


def test_sign_up_shows_every_problem_at_once(client: Client) -> None:
    response = client.post(
        SIGN_UP, {"email": "ana@", "password1": "12345678", "password2": "12345678"}
    )
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "This password is too common." in html
    assert "This password is entirely numeric." in html


# Sign-in and out --------------------------------------------------------------


def test_sign_in_page_offers_reset_and_sign_up(client: Client) -> None:
    html = client.get(SIGN_IN, {"next": "/shows/x/"}).content.decode()
    assert '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html
    assert reverse("accounts:password-reset") in html
    assert 'name="next" value="/shows/x/"' in html


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/shows/x/?t=90", "/shows/x/?t=90"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("javascript:alert(1)", "/"),
        ("\\\\evil.example", "/"),
        ("http://testserver.evil.example/", "/"),
    ],
)
def test_sign_in_follows_only_a_safe_next(
    client: Client, user: User, next_url: str, expected: str
) -> None:
    response = client.post(
        SIGN_IN, {"email": "ANA@example.com", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == expected
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_in_wrong_password_says_so(client: Client, user: User) -> None:
    response = client.post(SIGN_IN, {"email": "ana@example.com", "password": "nope"})
    assert response.status_code == 400
    assert "That email address and password do not match." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_rate_limit_holds_across_processes(
    settings: Settings, user: User
) -> None:
    """Failures from separate browsers (as if served by separate workers) add up."""
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = 3
    first = _browser(settings, REMOTE_ADDR="198.51.100.1")
    second = _browser(settings, REMOTE_ADDR="198.51.100.2")
    for browser in (first, second, first):
        response = browser.post(
            SIGN_IN, {"email": "ana@example.com", "password": "guess"}
        )
        assert response.status_code == 400

    for browser in (second, _browser(settings, REMOTE_ADDR="198.51.100.3")):
        response = browser.post(
            SIGN_IN, {"email": "ana@example.com", "password": PASSWORD}
        )
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "Too many failed sign-in attempts." in response.content.decode()
        assert "_auth_user_id" not in browser.session


def test_sign_in_rate_limit_by_address_behind_a_proxy(
    settings: Settings, user: User
) -> None:
    settings.ONDAS_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.ONDAS_SIGNIN_MAX_FAILURES_PER_IP = 2
    proxy = _browser(settings, REMOTE_ADDR="127.0.0.1")
    for n in range(2):
        # The client varies what it writes; the proxy's entry is the real one.
        proxy.post(
            SIGN_IN,
            {"email": f"guess{n}@example.com", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.50",
        )
    blocked = proxy.post(
        SIGN_IN,
        {"email": "ana@example.com", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.50",
    )
    assert blocked.status_code == 429
    other = proxy.post(
        SIGN_IN,
        {"email": "ana@example.com", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.51",
    )
    assert other.status_code == 302


def test_sign_out_asks_on_get_and_signs_out_on_post(signed_in_client: Client) -> None:
    page = signed_in_client.get(SIGN_OUT)
    assert page.status_code == 200
    assert "_auth_user_id" in signed_in_client.session
    response = signed_in_client.post(SIGN_OUT)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in signed_in_client.session


# The account page ---------------------------------------------------------------


def test_account_page_needs_sign_in(client: Client) -> None:
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next={ACCOUNT}"


def test_account_page_shows_the_account(signed_in_client: Client) -> None:
    html = signed_in_client.get(ACCOUNT).content.decode()
    assert "ana@example.com" in html
    assert "Not confirmed yet" in html
    assert "Listener" in html
    assert reverse("accounts:password-change") in html
    assert DELETE in html
    assert f'action="{RESEND}"' in html


def test_account_page_renders_sections_other_contexts_register(
    signed_in_client: Client, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "test_section.html").write_text(
        '<section id="billing">Plan: {{ plan }} for {{ account_user.email }}</section>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path]},
    ]
    account_section_register(
        AccountSection(
            key="test.billing",
            template_name="test_section.html",
            get_context=lambda user: {"plan": "Premium"},
        )
    )
    try:
        html = signed_in_client.get(ACCOUNT).content.decode()
    finally:
        account_section_unregister("test.billing")
    assert '<section id="billing">Plan: Premium for ana@example.com</section>' in html


# Verification links ----------------------------------------------------------------


def test_expired_link_page_offers_a_new_link(
    client: Client,
    user: User,
    settings: Settings,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    issued = timezone_now() - timedelta(
        seconds=settings.ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS + 60
    )
    token = verification_token_make(user_id=user.pk, email=user.email, now=issued)
    page = client.get(reverse("accounts:verify-email", args=[token]))
    assert page.status_code == 400
    html = page.content.decode()
    assert "This confirmation link has expired." in html
    assert f'name="token" value="{token}"' in html

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(RESEND, {"token": token})
    assert sent.status_code == 200
    assert "We sent a new confirmation link." in sent.content.decode()
    assert client.get(_path_in(mailoutbox[-1])).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_tampered_link_page_explains_and_offers_sign_in(
    client: Client, user: User
) -> None:
    token = verification_token_make(
        user_id=user.pk, email=user.email, now=timezone_now()
    )
    page = client.get(reverse("accounts:verify-email", args=[token[:-2] + "xx"]))
    assert page.status_code == 400
    html = page.content.decode()
    assert "This confirmation link is not valid." in html
    assert f"{SIGN_IN}?next={ACCOUNT}" in html


def test_resend_from_the_banner_is_rate_limited(
    signed_in_client: Client, settings: Settings
) -> None:
    settings.ONDAS_VERIFICATION_EMAILS_PER_HOUR = 2  # the sign-up email was the first
    assert signed_in_client.post(RESEND).status_code == 200
    refused = signed_in_client.post(RESEND)
    assert refused.status_code == 429
    assert (
        "We have already sent you several confirmation emails."
        in refused.content.decode()
    )


def test_resend_when_signed_out_asks_to_sign_in(client: Client) -> None:
    response = client.post(RESEND)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


# Deletion ------------------------------------------------------------------------


def test_delete_account_confirms_then_anonymises_and_ends_sessions(
    signed_in_client: Client, user: User, settings: Settings
) -> None:
    elsewhere = _browser(settings)
    assert elsewhere.login(username="ana@example.com", password=PASSWORD)

    form = signed_in_client.get(DELETE)
    assert form.status_code == 200
    assert '<label for="id_password">' in form.content.decode()

    wrong = signed_in_client.post(DELETE, {"password": "not it"})
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.content.decode()
    user.refresh_from_db()
    assert user.is_active is True

    response = signed_in_client.post(DELETE, {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:deleted")
    assert (
        "Your account is deleted"
        in signed_in_client.get(response["Location"]).content.decode()
    )

    row = User.objects.get(pk=user.pk)
    assert row.email == f"deleted-{user.pk}@deleted.invalid"
    assert row.is_active is False
    for browser in (signed_in_client, elsewhere):
        assert browser.get(ACCOUNT).status_code == 302  # signed out everywhere


# Passwords ---------------------------------------------------------------------------


def test_password_change(signed_in_client: Client, user: User) -> None:
    url = reverse("accounts:password-change")
    assert '<label for="id_old_password">' in signed_in_client.get(url).content.decode()
    response = signed_in_client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == reverse("accounts:password-change-done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is True
    assert signed_in_client.get(ACCOUNT).status_code == 200  # still signed in here


# CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data", "signed_in"),
    [
        (
            SIGN_UP,
            {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
            False,
        ),
        (SIGN_IN, {"email": "ana@example.com", "password": PASSWORD}, False),
        (SIGN_OUT, {}, True),
        (RESEND, {}, True),
        (DELETE, {"password": PASSWORD}, True),
        (
            reverse("accounts:password-change"),
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            True,
        ),
        (reverse("accounts:password-reset"), {"email": "ana@example.com"}, False),
    ],
)
def test_post_without_csrf_token_is_refused(
    csrf_client: Client,
    user: User,
    mailoutbox: list[mail.EmailMessage],
    url: str,
    data: dict[str, str],
    signed_in: bool,
) -> None:
    if signed_in:
        csrf_client.force_login(user)
    response = csrf_client.post(url, data)
    assert response.status_code == 403
    user.refresh_from_db()
    assert (user.is_active, user.check_password(PASSWORD)) == (True, True)
    assert User.objects.count() == 1
    assert mailoutbox == []
    assert ("_auth_user_id" in csrf_client.session) is signed_in


def test_post_with_csrf_token_works(csrf_client: Client, user: User) -> None:
    csrf_client.get(SIGN_IN)
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(
        SIGN_IN,
        {
            "email": "ana@example.com",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
