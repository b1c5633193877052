"""The OAuth 2.0 device authorization grant (RFC 8628), end to end: the app
asks for codes, the person approves on /device/, the app polls for its token
and reads the API with it; every error the RFC names, and code guessing."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from ondas.accounts.models import AccessToken, DeviceAuthorization, User
from ondas.accounts.services import user_delete
from tests.accounts.factories import PASSWORD, user_make

pytestmark = pytest.mark.django_db

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_RE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


def start(client: Client, **form: str) -> Any:
    data = {"client_id": "Living room TV", "scope": "read", **form}
    return client.post(reverse("oauth-device-authorization"), data)


def poll(client: Client, device_code: str, client_id: str = "Living room TV") -> Any:
    return client.post(
        reverse("oauth-token"),
        {"grant_type": GRANT, "device_code": device_code, "client_id": client_id},
    )


def shift(settings: Settings, seconds: float) -> None:
    current = getattr(settings, "ONDAS_CLOCK_SHIFT", timedelta(0))
    settings.ONDAS_CLOCK_SHIFT = current + timedelta(seconds=seconds)


@pytest.fixture
def person(db: None) -> User:
    return user_make(email="tele@example.com")


@pytest.fixture
def browser(person: User, settings: Settings) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(person)
    return client


def test_device_grant_whole_flow_gives_an_ordinary_token(
    browser: Client, person: User, settings: Settings
) -> None:
    app = Client()
    answer = start(app, scope="write")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert CODE_RE.match(body["user_code"])
    assert body["verification_uri"] == "http://testserver/device/"
    assert body["verification_uri_complete"].endswith(
        "/device/?user_code=" + body["user_code"]
    )
    assert body["expires_in"] == 600
    assert body["interval"] == 5
    # Nothing of either code is stored as it is.
    stored = DeviceAuthorization.objects.get()
    assert body["device_code"] not in (stored.device_digest, stored.user_digest)
    assert body["user_code"].replace("-", "") not in stored.user_digest

    first = poll(app, body["device_code"])
    assert first.status_code == 400
    assert first.json()["error"] == "authorization_pending"

    # The app's link shows the question, with the app's name and scope.
    page = browser.get(body["verification_uri_complete"])
    assert page.status_code == 200
    assert "Living room TV" in page.content.decode()
    assert "read and write" in page.content.decode()
    done = browser.post(
        reverse("device:decide"),
        {"user_code": body["user_code"].lower(), "decision": "approve"},
    )
    assert done.status_code == 200
    assert "Device approved" in done.content.decode()

    shift(settings, 5)
    token = poll(app, body["device_code"])
    assert token.status_code == 200
    issued = token.json()
    assert issued["token_type"] == "Bearer"
    assert issued["scope"] == "write"
    made = AccessToken.objects.get(user=person)
    assert made.name == "Living room TV"
    assert made.scope == AccessToken.Scope.WRITE

    me = app.get(
        "/api/v1/me/follows",
        HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}",
    )
    assert me.status_code == 200
    made.refresh_from_db()
    assert made.last_used_at is not None

    # Single use: the device code is spent.
    again = poll(app, body["device_code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    # Revoked on the account page, the token stops working.
    browser.post(reverse("accounts:token-revoke", args=[made.pk]))
    gone = app.get(
        "/api/v1/me/follows", HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}"
    )
    assert gone.status_code == 401


def test_device_grant_polled_faster_than_interval_slows_down(
    settings: Settings,
) -> None:
    app = Client()
    device_code = start(app).json()["device_code"]
    assert poll(app, device_code).json()["error"] == "authorization_pending"
    shift(settings, 2)
    slow = poll(app, device_code)
    assert slow.status_code == 400
    assert slow.json()["error"] == "slow_down"
    # The interval grew by five seconds: six seconds later is still too soon.
    shift(settings, 6)
    assert poll(app, device_code).json()["error"] == "slow_down"
    shift(settings, 16)
    assert poll(app, device_code).json()["error"] == "authorization_pending"


def test_device_grant_denied_is_access_denied(browser: Client) -> None:
    app = Client()
    body = start(app).json()
    page = browser.post(reverse("device:enter"), {"user_code": body["user_code"]})
    assert "read only" in page.content.decode()
    done = browser.post(
        reverse("device:decide"), {"user_code": body["user_code"], "decision": "deny"}
    )
    assert "Device denied" in done.content.decode()
    answer = poll(app, body["device_code"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "access_denied"
    assert AccessToken.objects.count() == 0
    # A decided code cannot be decided again.
    again = browser.post(
        reverse("device:decide"),
        {"user_code": body["user_code"], "decision": "approve"},
    )
    assert again.status_code == 400
    assert poll(app, body["device_code"]).json()["error"] == "access_denied"


def test_device_grant_expired_code_is_refused_both_sides(
    browser: Client, settings: Settings
) -> None:
    app = Client()
    body = start(app).json()
    shift(settings, 601)
    page = browser.get(reverse("device:enter"), {"user_code": body["user_code"]})
    assert page.status_code == 400
    assert "not waiting for approval" in page.content.decode()
    answer = poll(app, body["device_code"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "expired_token"


def test_device_grant_bad_requests_get_rfc_errors() -> None:
    app = Client()
    assert start(app, client_id="").json()["error"] == "invalid_request"
    assert start(app, scope="admin").json()["error"] == "invalid_scope"
    device_code = start(app).json()["device_code"]
    wrong_grant = app.post(
        reverse("oauth-token"),
        {"grant_type": "password", "device_code": device_code, "client_id": "x"},
    )
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    assert poll(app, "not-a-code").json()["error"] == "invalid_grant"
    # Another app cannot take this app's code.
    assert poll(app, device_code, client_id="Other").json()["error"] == (
        "invalid_grant"
    )
    missing = app.post(reverse("oauth-token"), {"grant_type": GRANT})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert app.get(reverse("oauth-token")).status_code == 405


def test_device_page_limits_code_guessing(browser: Client, settings: Settings) -> None:
    settings.ONDAS_DEVICE_CODE_MAX_FAILURES_PER_USER = 3
    settings.ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS = 60
    app = Client()
    body = start(app).json()
    for guess in ("BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD"):
        wrong = browser.post(reverse("device:enter"), {"user_code": guess})
        assert wrong.status_code == 400
    # The right code is refused too now, without being looked at.
    limited = browser.post(reverse("device:enter"), {"user_code": body["user_code"]})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "Too many wrong codes" in limited.content.decode()
    assert poll(app, body["device_code"]).json()["error"] == "authorization_pending"
    # The window passes: the right code works again.
    shift(settings, 61)
    page = browser.post(reverse("device:enter"), {"user_code": body["user_code"]})
    assert page.status_code == 200


def test_device_page_needs_a_signed_in_person() -> None:
    page = Client().get(reverse("device:enter"), {"user_code": "BCDF-GHJK"})
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:sign-in"))


def test_device_page_speaks_spanish(browser: Client, settings: Settings) -> None:
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = browser.get(reverse("device:enter"))
    assert "Escribe el código" in page.content.decode()


def test_device_grant_account_deleted_before_poll_is_denied(
    browser: Client, person: User
) -> None:
    app = Client()
    body = start(app).json()
    browser.post(
        reverse("device:decide"),
        {"user_code": body["user_code"], "decision": "approve"},
    )
    user_delete(user=person, password=PASSWORD)
    assert poll(app, body["device_code"]).json()["error"] == "access_denied"


@pytest.mark.django_db(transaction=True)
def test_device_grant_over_real_http(live_server: LiveServer, person: User) -> None:
    """An app that speaks plain HTTP to a running server gets its token."""

    def post(path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            live_server.url + path, data=data, headers={"Accept-Language": "en"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    status, body = post(
        "/api/oauth/device_authorization", {"client_id": "Car", "scope": "read"}
    )
    assert status == 200
    form = {"grant_type": GRANT, "device_code": body["device_code"], "client_id": "Car"}
    assert post("/api/oauth/token", form) == (
        400,
        {
            "error": "authorization_pending",
            "error_description": "Waiting for the person to enter the code.",
        },
    )
    browser = Client()
    browser.force_login(person)
    browser.post(
        reverse("device:decide"),
        {"user_code": body["user_code"], "decision": "approve"},
    )
    DeviceAuthorization.objects.update(last_polled_at=None)  # no need to wait 5 s
    status, token = post("/api/oauth/token", form)
    assert status == 200
    assert token["access_token"].startswith("ondas_")
    with urllib.request.urlopen(  # noqa: S310
        urllib.request.Request(
            live_server.url + "/.well-known/oauth-authorization-server"
        ),
        timeout=10,
    ) as response:
        meta = json.loads(response.read())
    assert meta["device_authorization_endpoint"].endswith(
        "/api/oauth/device_authorization"
    )
    assert meta["grant_types_supported"] == [GRANT]


def test_device_page_limits_guessing_per_client_address(settings: Settings) -> None:
    """Many accounts from one address share one count of wrong codes."""
    settings.ONDAS_DEVICE_CODE_MAX_FAILURES_PER_USER = 100
    settings.ONDAS_DEVICE_CODE_MAX_FAILURES_PER_IP = 4
    statuses = []
    for n in range(5):
        guesser = Client()
        guesser.force_login(user_make(email=f"guesser{n}@example.com"))
        answer = guesser.post(reverse("device:enter"), {"user_code": "BBBB-BBBB"})
        statuses.append(answer.status_code)
    assert statuses == [400, 400, 400, 400, 429]
