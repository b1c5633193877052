"""`ondas deploy nginx` with several `ondas serve` nodes (issue 16, item 4): each
node once in ``upstream ondas_app`` with its max_fails and fail_timeout, one
node as before (twice, max_fails=0), addresses checked, and the two-node site
accepted by Debian's nginx (``nginx -t``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from ondas.ops.cli import main
from ondas.ops.deploy import nginx_site_from_settings, nginx_site_render
from tests.support.servers import NGINX, NGINX_MAIN, make_certificate


@pytest.fixture
def site_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings with every path of the site under ``tmp_path``, no bucket, and
    the upstream settings' defaults."""
    settings.SITE_URL = "https://ondas.example"
    settings.ONDAS_SERVER_NAME = ""
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    settings.ONDAS_NGINX_CACHE_DIR = str(tmp_path / "cache")
    settings.STORAGES = {
        name: entry for name, entry in settings.STORAGES.items() if name != "s3"
    }
    settings.ONDAS_UPSTREAMS = []
    settings.ONDAS_UPSTREAM_MAX_FAILS = 1
    settings.ONDAS_UPSTREAM_FAIL_TIMEOUT = "2s"
    return settings


def _servers(text: str) -> list[str]:
    """The server lines of ``upstream ondas_app``, in order."""
    block = re.search(r"^upstream ondas_app \{\n(.*?)^\}", text, re.S | re.M)
    assert block is not None
    return re.findall(r"^    (server .*;)$", block.group(1), re.M)


def _retry_rule(text: str) -> tuple[str, str]:
    next_upstream = re.findall(r"^    proxy_next_upstream (.*);$", text, re.M)
    tries = re.findall(r"^    proxy_next_upstream_tries (.*);$", text, re.M)
    assert len(next_upstream) == len(tries) == 1, (next_upstream, tries)
    return next_upstream[0], tries[0]


def test_two_upstreams_are_each_written_once_with_max_fails_and_fail_timeout(
    site_settings: Settings,
) -> None:
    site = nginx_site_from_settings(upstreams=["10.0.0.11:8000", "10.0.0.12:8000"])
    text = nginx_site_render(site)

    assert _servers(text) == [
        "server 10.0.0.11:8000 max_fails=1 fail_timeout=2s;",
        "server 10.0.0.12:8000 max_fails=1 fail_timeout=2s;",
    ]
    # Only failed connections and timeouts go on to the next node, and never
    # a POST or PATCH once a node had it (nginx's default, no non_idempotent).
    assert _retry_rule(text) == ("error timeout", "2")
    assert "non_idempotent" not in text.replace("no `non_idempotent` here", "")
    assert "keepalive 32;" in text
    # Which node answered is in the access log.
    assert "'upstream=$upstream_addr';" in text


def test_upstreams_and_their_limits_come_from_settings(
    site_settings: Settings,
) -> None:
    site_settings.ONDAS_UPSTREAMS = [
        "app-1.internal:8000",
        "[fd00::12]:8000",
        "ondas_app_2:1",
    ]
    site_settings.ONDAS_UPSTREAM_MAX_FAILS = 3
    site_settings.ONDAS_UPSTREAM_FAIL_TIMEOUT = "500ms"

    text = nginx_site_render(nginx_site_from_settings())

    assert _servers(text) == [
        "server app-1.internal:8000 max_fails=3 fail_timeout=500ms;",
        "server [fd00::12]:8000 max_fails=3 fail_timeout=500ms;",
        "server ondas_app_2:1 max_fails=3 fail_timeout=500ms;",
    ]
    # Three nodes: a request may try each of them once.
    assert _retry_rule(text) == ("error timeout", "3")


def test_one_upstream_is_written_twice_without_failure_counting_as_before(
    site_settings: Settings,
) -> None:
    """The limits are for several nodes: with one, nginx must never take it out
    (it would have nowhere to send anything), so they do not apply."""
    site_settings.ONDAS_UPSTREAM_MAX_FAILS = 5
    site_settings.ONDAS_UPSTREAM_FAIL_TIMEOUT = "9s"

    text = nginx_site_render(nginx_site_from_settings(upstreams=["127.0.0.1:8010"]))

    assert _servers(text) == ["server 127.0.0.1:8010 max_fails=0;"] * 2
    assert "fail_timeout" not in text
    assert _retry_rule(text) == ("error timeout", "2")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        ":8000",
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:http",
        "256.1.1.1:8000",
        "[::g]:8000",
        "::1:8000",
        "http://10.0.0.1:8000",
        "10.0.0.1:8000/",
        "-app:8000",
        "10.0.0.1:8000;",
        "10.0.0.1:8000 backup",
        "127.0.0.1:8000\nserver 10.0.0.1:80",
        "unix:/run/ondas.sock",
    ],
)
def test_an_upstream_that_is_no_host_and_port_is_refused(
    site_settings: Settings, address: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(f"upstream {address!r}")):
        nginx_site_from_settings(upstreams=["10.0.0.11:8000", address])


def test_an_upstream_named_twice_is_refused(site_settings: Settings) -> None:
    site_settings.ONDAS_UPSTREAMS = [
        "10.0.0.11:8000",
        "10.0.0.12:8000",
        "10.0.0.11:8000",
    ]
    with pytest.raises(ValueError, match="upstream '10.0.0.11:8000' is named twice"):
        nginx_site_from_settings()


@pytest.mark.parametrize(
    ("max_fails", "fail_timeout", "message"),
    [
        (-1, "2s", "max_fails: -1 must be 0 or more"),
        (1, "2 s", "fail_timeout: '2 s' is no nginx time"),
        (1, "2sec", "fail_timeout: '2sec' is no nginx time"),
        (1, "", "fail_timeout: '' is no nginx time"),
    ],
)
def test_upstream_limits_nginx_would_not_take_are_refused(
    site_settings: Settings, max_fails: int, fail_timeout: str, message: str
) -> None:
    site_settings.ONDAS_UPSTREAM_MAX_FAILS = max_fails
    site_settings.ONDAS_UPSTREAM_FAIL_TIMEOUT = fail_timeout
    site = nginx_site_from_settings(upstreams=["10.0.0.11:8000", "10.0.0.12:8000"])
    with pytest.raises(ValueError, match=re.escape(message)):
        nginx_site_render(site)


@pytest.mark.django_db(transaction=True)
def test_deploy_nginx_command_takes_upstream_repeated_and_refuses_a_bad_one(
    site_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ondas.conf"
    nodes = ["--upstream", "10.0.0.11:8000", "--upstream", "10.0.0.12:8001"]

    assert main(["deploy", "nginx", *nodes, "-o", str(out)]) == 0
    assert _servers(out.read_text()) == [
        "server 10.0.0.11:8000 max_fails=1 fail_timeout=2s;",
        "server 10.0.0.12:8001 max_fails=1 fail_timeout=2s;",
    ]

    bad = ["--upstream", "10.0.0.11:8000", "--upstream", "10.0.0.12"]
    assert main(["deploy", "nginx", *bad, "-o", str(tmp_path / "bad.conf")]) == 2
    err = capsys.readouterr().err
    assert "ondas deploy nginx: upstream '10.0.0.12' is not host:port" in err
    assert not (tmp_path / "bad.conf").exists()


@pytest.mark.django_db(transaction=True)
def test_deploy_nginx_command_without_upstream_takes_ondas_upstreams(
    site_settings: Settings, tmp_path: Path
) -> None:
    site_settings.ONDAS_UPSTREAMS = ["10.0.0.21:8000", "10.0.0.22:8000"]
    out = tmp_path / "ondas.conf"

    assert main(["deploy", "nginx", "-o", str(out)]) == 0

    assert [line.split()[1] for line in _servers(out.read_text())] == [
        "10.0.0.21:8000",
        "10.0.0.22:8000",
    ]


def test_nginx_accepts_the_two_node_site(
    site_settings: Settings, tmp_path: Path
) -> None:
    """`nginx -t` on the site for two nodes (an IPv4 one and an IPv6 one), with
    real certificates and every path of its own."""
    cert, key = make_certificate(tmp_path)
    site = nginx_site_from_settings(
        listen="127.0.0.1:8443",
        http_listen="",
        certificate=str(cert),
        certificate_key=str(key),
        upstreams=["127.0.0.1:8001", "[::1]:8002"],
        access_log=str(tmp_path / "access.log"),
    )
    site_conf = tmp_path / "site.conf"
    site_conf.write_text(nginx_site_render(site))
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        NGINX_MAIN.format(
            tmp=tmp_path, site=site_conf, connections=64, workers=1, nofile=4096
        )
    )
    assert len(_servers(site_conf.read_text())) == 2

    checked = subprocess.run(
        [NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log")]
        + ["-t"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
