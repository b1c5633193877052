"""deploy/: the nginx site renderer, the systemd units, the PostgreSQL settings."""

from __future__ import annotations

import configparser
import re
import runpy
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from ondas.core.media_settings import media_storages
from ondas.ops.cli import main
from ondas.ops.deploy import nginx_site_from_settings, nginx_site_render

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
EXAMPLE_S3 = {
    "ONDAS_S3_ENDPOINT_URL": "https://objects.ondas.example",
    "ONDAS_S3_BUCKET": "ondas-media",
    "ONDAS_S3_ACCESS_KEY_ID": "example",
    "ONDAS_S3_SECRET_ACCESS_KEY": "example",
}
EXAMPLE_ARGS = {
    "server_name": None,
    "upstreams": ["127.0.0.1:8000"],
}


@pytest.fixture
def example_settings(settings: Settings) -> Settings:
    """The settings deploy/nginx/ondas.conf was rendered from."""
    settings.SITE_URL = "https://ondas.example"
    settings.ONDAS_SERVER_NAME = ""
    settings.STATIC_ROOT = "/srv/ondas/var/static"
    settings.MEDIA_ROOT = "/srv/ondas/var/media"
    settings.ONDAS_AUDIO_ACCEL_PREFIX = "/_protected_media/"
    settings.ONDAS_NGINX_CACHE_DIR = "/var/cache/nginx/ondas"
    settings.SESSION_COOKIE_NAME = "sessionid"
    settings.ONDAS_TLS_CERTIFICATE = "/etc/letsencrypt/live/ondas.example/fullchain.pem"
    settings.ONDAS_TLS_CERTIFICATE_KEY = (
        "/etc/letsencrypt/live/ondas.example/privkey.pem"
    )
    # Audio on an S3-compatible store beside the box (Garage, Ceph RGW, …).
    settings.STORAGES = {
        **media_storages(environ=EXAMPLE_S3, choice="s3"),
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    settings.ONDAS_S3_ACCEL_PREFIX = "/_s3_media/"
    # One node, whatever ONDAS_HOST and ONDAS_PORT say where the tests run.
    settings.ONDAS_UPSTREAMS = ["127.0.0.1:8000"]
    return settings


def test_committed_nginx_example_is_what_the_renderer_writes(
    example_settings: Settings,
) -> None:
    """deploy/nginx/ondas.conf never drifts from `ondas deploy nginx`."""
    rendered = nginx_site_render(nginx_site_from_settings())
    assert (DEPLOY / "nginx" / "ondas.conf").read_text() == rendered


def test_nginx_site_has_tls_http2_ktls_sendfile_gzip_and_internal_audio(
    example_settings: Settings,
) -> None:
    text = nginx_site_render(nginx_site_from_settings())

    for directive in (
        "listen 443 ssl http2;",
        "listen [::]:443 ssl http2;",
        "server_name ondas.example;",
        "ssl_certificate /etc/letsencrypt/live/ondas.example/fullchain.pem;",
        "ssl_conf_command Options KTLS;",
        "sendfile on;",
        "gzip on;",
        "keepalive 32;",
        'proxy_set_header Connection "";',
        "proxy_http_version 1.1;",
        "alias /srv/ondas/var/static/;",
        "alias /srv/ondas/var/media/artwork/;",
        "return 301 https://$host$request_uri;",
    ):
        assert directive in text, directive
    internal = re.search(r"location \^~ /_protected_media/ \{(.*?)\}", text, re.S)
    assert internal is not None
    assert "internal;" in internal.group(1)
    assert "alias /srv/ondas/var/media/;" in internal.group(1)
    assert text.count("{") == text.count("}")


def test_studio_uploads_stream_to_ondas_with_the_upload_limit(
    example_settings: Settings,
) -> None:
    """tus chunks are not spooled by nginx, and may be as big as one upload."""
    example_settings.ONDAS_UPLOAD_MAX_BYTES = 3 * 1024**3
    text = nginx_site_render(nginx_site_from_settings())
    uploads = re.search(r"location \^~ /studio/uploads/ \{(.*?)\}", text, re.S)
    assert uploads is not None
    assert "proxy_request_buffering off;" in uploads.group(1)
    assert f"client_max_body_size {3 * 1024**3};" in uploads.group(1)
    # The rest of the site keeps nginx's own, smaller limit.
    assert "client_max_body_size 512m;" in text


def test_nginx_site_listens_where_told_and_can_skip_the_redirect(
    example_settings: Settings,
) -> None:
    site = nginx_site_from_settings(
        listen="127.0.0.1:8443", http_listen="", server_name="radio.example"
    )
    text = nginx_site_render(site)
    assert "listen 127.0.0.1:8443 ssl http2;" in text
    assert "[::]" not in text
    assert "return 301" not in text
    assert "server_name radio.example;" in text


@pytest.mark.parametrize(
    "override",
    [
        {"server_name": "evil.example; include /etc/passwd"},
        {"server_name": "a b"},
        {"certificate": "/etc/ssl/x.pem}"},
    ],
)
def test_nginx_site_refuses_values_nginx_would_misread(
    example_settings: Settings, override: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="cannot stand in an nginx directive"):
        nginx_site_render(nginx_site_from_settings(**override))  # type: ignore[arg-type]


def test_deploy_nginx_command_writes_file_and_says_to_set_the_prefix(
    example_settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example_settings.ONDAS_AUDIO_ACCEL_PREFIX = ""
    out = tmp_path / "ondas.conf"

    assert main(["deploy", "nginx", "--listen", "8443", "-o", str(out)]) == 0

    assert "listen 8443 ssl http2;" in out.read_text()
    assert "location ^~ /_protected_media/ {" in out.read_text()
    assert "ONDAS_AUDIO_ACCEL_PREFIX=/_protected_media/" in capsys.readouterr().err


def test_deploy_nginx_command_refuses_a_bad_name(
    example_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", "nginx", "--server-name", "x;y"]) == 2
    assert "cannot stand in an nginx directive" in capsys.readouterr().err


# systemd ---------------------------------------------------------------------

UNITS = sorted((DEPLOY / "systemd").glob("ondas*.*"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_systemd_units_parse_and_serve_unit_reloads_with_sighup() -> None:
    assert {p.name for p in UNITS} >= {
        "ondas.service",
        "ondas-worker.service",
        "ondas-billing.service",
        "ondas-billing.timer",
        "ondas-feeds.service",
        "ondas-feeds.timer",
    }
    service = _unit(DEPLOY / "systemd" / "ondas.service")["Service"]
    assert service["ExecStart"] == "/srv/ondas/.venv/bin/ondas serve"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["Type"] == "notify"
    # The arbiter alone gets SIGTERM (it raises the drain flag first), and
    # systemd waits longer than the 30 s graceful timeout.
    assert service["KillMode"] == "mixed"
    assert int(service["TimeoutStopSec"]) > 30
    billing = _unit(DEPLOY / "systemd" / "ondas-billing.service")["Service"]
    assert billing["ExecStart"].endswith("ondas billing run")
    feeds = _unit(DEPLOY / "systemd" / "ondas-feeds.service")["Service"]
    assert feeds["ExecStart"].endswith("ondas manage feeds_refresh_due")
    for timer in ("ondas-billing.timer", "ondas-feeds.timer"):
        section = _unit(DEPLOY / "systemd" / timer)["Timer"]
        assert section["OnCalendar"] and section["Persistent"] == "true"
        assert section["Unit"] == timer.replace(".timer", ".service")


@pytest.fixture
def units_here(tmp_path: Path) -> Iterator[list[Path]]:
    """The units with ExecStart pointing at this checkout's `ondas`."""
    ondas = Path(shutil.which("ondas") or Path(".venv/bin/ondas").resolve())
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(
            unit.read_text().replace("/srv/ondas/.venv/bin/ondas", str(ondas))
        )
        copies.append(copy)
    yield copies


def test_systemd_analyze_verify_finds_nothing(units_here: list[Path]) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: run `make system-deps`"
    done = subprocess.run(
        [analyze, "verify", *map(str, units_here)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    ours = [line for line in done.stderr.splitlines() if "ondas" in line]
    assert done.returncode == 0, done.stderr
    assert ours == [], ours


# PostgreSQL ------------------------------------------------------------------


def _pg_settings(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_postgresql_files_set_what_the_readme_says() -> None:
    base = _pg_settings(DEPLOY / "postgresql" / "ondas.conf")
    pg18 = _pg_settings(DEPLOY / "postgresql" / "ondas-pg18.conf")
    assert "io_method" not in base  # it would stop PostgreSQL 17 and older
    assert pg18["io_method"] == "io_uring"
    assert base["jit"] == "off" and base["random_page_cost"] == "1.1"
    assert "io_method = io_uring" in (DEPLOY / "postgresql" / "README.md").read_text()


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A directory the postgres user owns (pytest's own tmp_path is private)."""
    path = Path(tempfile.mkdtemp(prefix="ondas-pgconf-"))
    shutil.chown(path, "postgres")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_postgresql_accepts_ondas_conf_and_older_servers_refuse_io_method(
    pg_dir: Path,
) -> None:
    """The server installed here reads ondas.conf; before 18 io_method is unknown."""
    initdbs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not initdbs:
        pytest.fail("PostgreSQL is not installed: `make test` installs it")
    bindir = initdbs[-1].parent
    as_pg = ["runuser", "-u", "postgres", "--"]
    data = pg_dir / "data"
    subprocess.run(
        [*as_pg, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in ("ondas.conf", "ondas-pg18.conf"):
        shutil.copy(DEPLOY / "postgresql" / name, pg_dir / name)
    conf = data / "postgresql.conf"
    conf.write_text(conf.read_text() + f"\ninclude '{pg_dir / 'ondas.conf'}'\n")

    def show(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*as_pg, str(bindir / "postgres"), "-D", str(data), "-C", name],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert show("jit").stdout.strip() == "off"
    assert show("shared_buffers").stdout.strip() in ("1GB", "131072")
    version = int(show("server_version_num").stdout.strip())
    conf.write_text(conf.read_text() + f"include '{pg_dir / 'ondas-pg18.conf'}'\n")
    pg18 = show("io_method")
    if version >= 180000:
        assert pg18.stdout.strip() == "io_uring"
    else:
        assert pg18.returncode != 0
        assert "io_method" in pg18.stderr


SETTINGS_FILE = Path(__file__).resolve().parents[2] / "src" / "ondas" / "settings.py"


def test_pgbouncer_recipe_pools_by_transaction_and_ondas_settings_follow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """deploy/pgbouncer/pgbouncer.ini is transaction mode without a reset
    query, and the settings it asks for turn off what that mode breaks."""
    ini = configparser.ConfigParser()
    ini.read(DEPLOY / "pgbouncer" / "pgbouncer.ini")
    assert ini["pgbouncer"]["pool_mode"] == "transaction"
    assert ini["pgbouncer"]["server_reset_query"] == ""
    assert ini["databases"]["ondas"].startswith("host=")
    readme = (DEPLOY / "pgbouncer" / "README.md").read_text()
    assert "ONDAS_DB_PGBOUNCER=on" in readme

    monkeypatch.setenv("DATABASE_URL", "postgres://ondas@127.0.0.1:6432/ondas")
    monkeypatch.setenv("ONDAS_DB_PGBOUNCER", "on")
    monkeypatch.setenv("ONDAS_SECRET_KEY", "test-only-not-secret")
    # The settings file read afresh, as a process started with that
    # environment reads it (not the module the suite is running on).
    database = runpy.run_path(str(SETTINGS_FILE))["DATABASES"]["default"]
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert database["OPTIONS"]["prepare_threshold"] is None
    assert "pool" not in database["OPTIONS"]
    assert database["PORT"] == 6432


def test_nginx_site_proxies_s3_audio_from_an_internal_location_only(
    example_settings: Settings,
) -> None:
    text = nginx_site_render(nginx_site_from_settings())

    location = text.split('location ~ "^/_s3_media/', 1)[1].split("\n    }\n", 1)[0]
    assert "server objects.ondas.example;" in text
    for directive in (
        "internal;",
        "proxy_pass https://ondas_s3;",
        "proxy_ssl_verify on;",
        "proxy_set_header Host objects.ondas.example;",
        "proxy_pass_request_headers off;",
        "proxy_set_header Range $ondas_s3_range;",
        "proxy_intercept_errors on;",
        "access_log /var/log/nginx/ondas.audio.json ondas_audio;",
    ):
        assert directive in location, directive


def test_nginx_site_without_a_bucket_has_no_s3_location(
    example_settings: Settings,
) -> None:
    example_settings.STORAGES = {
        **media_storages(environ={}, choice="local"),
        "staticfiles": example_settings.STORAGES["staticfiles"],
    }
    text = nginx_site_render(nginx_site_from_settings())
    assert "ondas_s3" not in text and "_s3_media" not in text


def test_nginx_site_refuses_an_s3_endpoint_with_a_path(
    example_settings: Settings,
) -> None:
    example_settings.STORAGES = {
        **media_storages(
            environ=EXAMPLE_S3
            | {"ONDAS_S3_ENDPOINT_URL": "https://objects.example/store"},
            choice="s3",
        ),
        "staticfiles": example_settings.STORAGES["staticfiles"],
    }
    with pytest.raises(ValueError, match="must have no path"):
        nginx_site_from_settings()
