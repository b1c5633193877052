"""/metrics: loopback only, or the bearer token; nginx and `ondas doctor` agree."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from ondas.ops.deploy import nginx_site_from_settings, nginx_site_render
from ondas.ops.doctor import check_metrics_access
from ondas.ops.metrics_access import bearer_matches, is_loopback

TOKEN = "s3cret-metrics-token-0123456789"
PROMETHEUS = "ondas_http_request_duration_seconds"


@pytest.fixture
def no_token(settings: Settings) -> Settings:
    settings.ONDAS_METRICS_TOKEN = ""
    return settings


@pytest.fixture
def with_token(settings: Settings) -> Settings:
    settings.ONDAS_METRICS_TOKEN = TOKEN
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.0.0.9", "::1", "::ffff:127.0.0.1"]
)
def test_metrics_answers_loopback_without_a_token(
    client: Client, no_token: Settings, address: str
) -> None:
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 200
    assert PROMETHEUS in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["192.0.2.7", "10.0.0.1", "2001:db8::1", "", "x"])
def test_metrics_is_the_sites_404_for_anyone_else(
    client: Client, no_token: Settings, address: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ondas.ops.metrics_access"):
        response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 404
    assert PROMETHEUS not in response.content.decode()
    # the same page as for an address that does not exist
    assert response["Content-Type"] == client.get("/no-such-page").get("Content-Type")
    assert "ONDAS_METRICS_TOKEN is unset" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER  {TOKEN} "],
)
def test_metrics_answers_the_right_token_from_anywhere(
    client: Client, with_token: Settings, authorization: str
) -> None:
    response = client.get(
        "/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION=authorization
    )
    assert response.status_code == 200
    assert PROMETHEUS in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer s3cret-métrics",
    ],
)
@pytest.mark.parametrize("address", ["192.0.2.7", "127.0.0.1"])
def test_with_a_token_set_anything_else_is_404_loopback_too(
    client: Client, with_token: Settings, authorization: str | None, address: str
) -> None:
    """Behind nginx every request comes from 127.0.0.1: it proves nothing."""
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", REMOTE_ADDR=address, **extra)
    assert response.status_code == 404
    assert PROMETHEUS not in response.content.decode()


def test_is_loopback_reads_every_form_and_refuses_garbage() -> None:
    cases = {
        "127.0.0.1": True,
        "127.255.0.1": True,
        "::1": True,
        "::ffff:127.0.0.1": True,
        "fe80::1%lo": False,
        "::ffff:192.0.2.1": False,
        "192.0.2.1": False,
        "0.0.0.0": False,
        "": False,
        "localhost": False,
    }
    assert {address: is_loopback(address) for address in cases} == cases


def test_bearer_matches_only_the_whole_token() -> None:
    assert bearer_matches(authorization=f"Bearer {TOKEN}", token=TOKEN) is True
    assert bearer_matches(authorization=f"Bearer {TOKEN} extra", token=TOKEN) is False
    assert bearer_matches(authorization="Bearer ", token=TOKEN) is False
    assert bearer_matches(authorization="Bearer \u00e9\u00e9", token=TOKEN) is False


@pytest.mark.parametrize(
    "token", ["short", "has a space in it, 16+", "tab\there-0123456789"]
)
def test_a_weak_or_unsendable_token_stops_the_start(token: str, tmp_path: Path) -> None:
    env = os.environ | {"ONDAS_DATA_DIR": str(tmp_path), "ONDAS_METRICS_TOKEN": token}
    started = subprocess.run(
        [sys.executable, "-c", "import ondas.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "ONDAS_METRICS_TOKEN must be 16 or more visible ASCII" in started.stderr


# nginx: the site denies /metrics to all but loopback, unless a token guards it.


def _metrics_location(text: str) -> str:
    start = text.index("location", text.index("# Operations endpoints"))
    return text[start : text.index("location / {", start)]


def test_nginx_site_denies_metrics_to_all_but_loopback(no_token: Settings) -> None:
    ops = _metrics_location(nginx_site_render(nginx_site_from_settings()))
    assert "location ~ ^/(healthz|readyz|metrics)$ {" in ops
    assert "allow 127.0.0.1;\n        allow ::1;\n        deny all;" in ops


def test_nginx_site_with_a_token_passes_metrics_and_keeps_health_local(
    with_token: Settings,
) -> None:
    text = nginx_site_render(nginx_site_from_settings())
    ops = _metrics_location(text)
    assert "location ~ ^/(healthz|readyz)$ {" in ops
    health, metrics = ops.split("location = /metrics {")
    assert "deny all;" in health and "deny all;" not in metrics
    assert "proxy_pass http://ondas_app;" in metrics
    assert TOKEN not in text  # nginx needs no secret


# `ondas doctor` says whether /metrics is protected.


def _site_dir(tmp_path: Path, text: str) -> tuple[Path, ...]:
    sites = tmp_path / "sites-enabled"
    sites.mkdir(parents=True)
    (sites / "default").write_text("server { listen 80; root /var/www/html; }\n")
    (sites / "ondas").write_text(text)
    return (sites, tmp_path / "conf.d-missing")


def test_doctor_ok_when_nginx_denies_metrics(
    no_token: Settings, tmp_path: Path
) -> None:
    site = nginx_site_render(nginx_site_from_settings())
    check = check_metrics_access(_site_dir(tmp_path, site))
    assert check.mark == "ok"
    assert "denies it to everyone else" in check.detail


def test_doctor_fails_when_nginx_passes_metrics_without_a_token(
    settings: Settings, tmp_path: Path
) -> None:
    """A site rendered with the token, then the token unset: open to all."""
    settings.ONDAS_METRICS_TOKEN = TOKEN
    site = nginx_site_render(nginx_site_from_settings())
    settings.ONDAS_METRICS_TOKEN = ""
    hand_made = "server { location / { proxy_pass http://127.0.0.1:8000; } }\n"
    for n, text in enumerate((site, hand_made)):
        dirs = _site_dir(tmp_path / str(n), text)
        check = check_metrics_access(dirs)
        assert check.mark == "FAIL"
        assert "anyone can read it" in check.detail
        assert str(dirs[0] / "ondas") in check.detail


def test_doctor_warns_when_no_nginx_site_is_found(
    no_token: Settings, tmp_path: Path
) -> None:
    check = check_metrics_access((tmp_path / "none",))
    assert check.mark == "warn"
    assert "loopback clients only" in check.detail


def test_doctor_ok_with_a_token_whatever_nginx_does(
    with_token: Settings, tmp_path: Path
) -> None:
    dirs = _site_dir(tmp_path, "server { location / { proxy_pass http://ondas_app; } }")
    check = check_metrics_access(dirs)
    assert check.mark == "ok"
    assert "Bearer" in check.detail
