"""Which address a request counts under, and how addresses are keyed."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from ondas.accounts.ratelimit import client_ip, email_key, ip_key


@pytest.mark.parametrize(
    ("header", "proxies", "meta", "expected"),
    [
        # Nothing configured: the connection's address, whatever headers say.
        ("", 1, {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "192.0.2.10"),
        # One proxy: the entry it appended, not the ones the client wrote.
        (
            "X-Forwarded-For",
            1,
            {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1"},
            "198.51.100.1",
        ),
        (
            "X-Forwarded-For",
            2,
            {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1, 10.0.0.2"},
            "198.51.100.1",
        ),
        ("X-Real-IP", 1, {"HTTP_X_REAL_IP": "2001:db8::1"}, "2001:db8::1"),
        # Configured but missing or garbage: fall back to the connection.
        ("X-Real-IP", 1, {}, "192.0.2.10"),
        ("X-Real-IP", 1, {"HTTP_X_REAL_IP": "not-an-address"}, "192.0.2.10"),
        (
            "X-Forwarded-For",
            3,
            {"HTTP_X_FORWARDED_FOR": "198.51.100.1"},
            "198.51.100.1",
        ),
    ],
)
def test_client_ip_trusts_the_header_only_when_configured(
    settings: Settings, header: str, proxies: int, meta: dict[str, str], expected: str
) -> None:
    settings.ONDAS_CLIENT_IP_HEADER = header
    settings.ONDAS_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", **meta)
    assert client_ip(request) == expected


def test_ip_key_groups_an_ipv6_slash_64() -> None:
    assert ip_key("2001:db8:1:2::1") == ip_key("2001:db8:1:2:abcd::9")
    assert ip_key("2001:db8:1:2::1") != ip_key("2001:db8:1:3::1")
    assert ip_key("::ffff:192.0.2.1") == ip_key("192.0.2.1")
    assert ip_key("192.0.2.1") != ip_key("192.0.2.2")


def test_email_key_ignores_case_and_hides_the_address() -> None:
    assert email_key("Ana@Example.com ") == email_key("ana@example.com")
    assert "ana" not in email_key("ana@example.com")
