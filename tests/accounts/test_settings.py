"""Email and throttling settings read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.settings import settings_with

_NAMES = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "DEFAULT_FROM_EMAIL",
    "PASSWORD_HASHERS",
    "ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL",
)


def _settings_with(tmp_path: Path, **env: str) -> dict[str, object]:
    return settings_with(tmp_path, names=_NAMES, **env)


def test_email_goes_to_the_console_by_default(tmp_path: Path) -> None:
    found = _settings_with(tmp_path)
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert (
        found["PASSWORD_HASHERS"][0]
        == "django.contrib.auth.hashers.Argon2PasswordHasher"
    )  # type: ignore[index]


@pytest.mark.parametrize(
    ("env", "port", "tls", "ssl"),
    [({}, 587, True, False), ({"ONDAS_EMAIL_USE_SSL": "1"}, 465, False, True)],
)
def test_email_uses_smtp_when_a_host_is_set(
    tmp_path: Path, env: dict[str, str], port: int, tls: bool, ssl: bool
) -> None:
    found = _settings_with(
        tmp_path,
        ONDAS_EMAIL_HOST="smtp.example.com",
        ONDAS_DEFAULT_FROM_EMAIL="Ondas <hola@example.com>",
        **env,
    )
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"]) == ("smtp.example.com", port)
    assert (found["EMAIL_USE_TLS"], found["EMAIL_USE_SSL"]) == (tls, ssl)
    assert found["DEFAULT_FROM_EMAIL"] == "Ondas <hola@example.com>"


def test_a_malformed_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="must be a whole number"):
        _settings_with(tmp_path, ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL="five")
