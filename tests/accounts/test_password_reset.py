"""Password reset by email: the same answer for every address, sent by a task,
and counted per address and per client."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from ondas.accounts import reset
from ondas.accounts.models import User

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password-reset")
DONE = reverse("accounts:password-reset-done")
NEW_PASSWORD = "a brand new pass phrase"


def _path_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert match, message.body
    return match[1]


def _page_shape(body: str, email: str) -> str:
    body = body.replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", body)


def _ask(
    client: Client, email: str, capture: DjangoCaptureOnCommitCallbacks, **extra: str
) -> tuple[int, str, str, int]:
    """Post one reset request; return status, Location, body and tasks queued."""
    spy = mock.Mock(wraps=reset.password_reset_email_task)
    with mock.patch.object(reset, "password_reset_email_task", spy):
        with capture(execute=True):
            response = client.post(RESET, {"email": email}, **extra)  # type: ignore[arg-type]
    return (
        response.status_code,
        response.get("Location", ""),
        response.content.decode(),
        spy.enqueue.call_count,
    )


def test_password_reset_by_email(
    client: Client,
    user: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    status, location, _body, queued = _ask(
        client, "ANA@example.com", django_capture_on_commit_callbacks
    )
    assert (status, location, queued) == (302, DONE, 1)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reset your Ondas password"

    form_page = client.get(_path_in(mailoutbox[0]), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done["Location"] == reverse("accounts:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) is True
    assert user.email_verified_at is not None  # the link proved the address

    again = client.get(_path_in(mailoutbox[0]), follow=True)
    assert "The link has expired or was already used." in again.content.decode()


def test_known_and_unknown_addresses_get_the_same_answer_and_a_queued_task(
    client: Client,
    user: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    known = _ask(client, user.email, django_capture_on_commit_callbacks)
    unknown = _ask(client, "who@example.com", django_capture_on_commit_callbacks)
    assert known == unknown == (302, DONE, "", 1)
    assert [m.to for m in mailoutbox] == [[user.email]]  # only the owner gets mail


def test_the_request_itself_sends_no_mail(
    client: Client, user: User, mailoutbox: list[mail.EmailMessage]
) -> None:
    # Without the commit, nothing is sent: the mail is the task's work.
    response = client.post(RESET, {"email": user.email})
    assert response["Location"] == DONE
    assert mailoutbox == []


def test_resets_are_limited_per_address_whether_or_not_it_exists(
    client: Client,
    user: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    answers = {}
    for email in (user.email, "who@example.com"):
        for _ in range(reset.RESETS_PER_ADDRESS):
            assert _ask(client, email, django_capture_on_commit_callbacks)[0] == 302
        answers[email] = _ask(client, email, django_capture_on_commit_callbacks)
    known, unknown = answers[user.email], answers["who@example.com"]
    assert known[::3] == unknown[::3] and known[1] == unknown[1]
    # The page echoes the address typed and holds a fresh CSRF token; the
    # rest is the same.
    assert _page_shape(known[2], user.email) == _page_shape(
        unknown[2], "who@example.com"
    )
    status, location, body, queued = known
    assert (status, location, queued) == (429, "", 0)
    assert "Too many password reset requests" in body
    assert len(mailoutbox) == reset.RESETS_PER_ADDRESS


def test_resets_are_limited_per_client(
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    capture = django_capture_on_commit_callbacks
    for n in range(reset.RESETS_PER_CLIENT):
        assert _ask(client, f"p{n}@example.com", capture)[0] == 302
    refused = _ask(client, "another@example.com", capture)
    assert refused[0] == 429 and refused[3] == 0
    # Another client may still ask for the same address.
    other = _ask(client, "another@example.com", capture, REMOTE_ADDR="192.0.2.7")
    assert other[:2] == (302, DONE)
