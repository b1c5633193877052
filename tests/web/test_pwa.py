"""The installable web app through Django's test client: manifest, icons,
service worker script, offline page, and the links every page carries."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.web import pwa
from ondas.web.app_icons import ICONS, icon_image

pytestmark = pytest.mark.django_db

STATIC_URL_RE = re.compile(r'(?:href|src)="/static/([^"?#]+)"')
IMPORT_RE = re.compile(r'^import[^"]*"\./([^"]+)";', re.MULTILINE)


def _static_bytes(path: str) -> bytes:
    found = finders.find(path)
    assert found, path
    return Path(str(found)).read_bytes()


@pytest.mark.parametrize(
    ("language", "name"),
    [("es", "Ondas: podcasts y audiolibros"), ("en", "Ondas: podcasts and audiobooks")],
)
def test_manifest_in_each_language(client: Client, language: str, name: str) -> None:
    response = client.get(reverse("web:manifest", args=[language]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == name
    assert manifest["lang"] == language
    assert manifest["short_name"] == "Ondas"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["id"] == "/"  # one app whatever the language
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0e7065"
    assert manifest["background_color"] == "#f6f4f0"


def test_manifest_of_an_unknown_language_is_404(client: Client) -> None:
    assert client.get("/manifest.fr.webmanifest").status_code == 404


def test_manifest_icons_are_real_images_of_their_stated_size(client: Client) -> None:
    manifest = json.loads(client.get(reverse("web:manifest", args=["en"])).content)

    purposes = set()
    for icon in manifest["icons"]:
        path = icon["src"].removeprefix("/static/")
        data = _static_bytes(path)
        purposes.add(icon["purpose"])
        if icon["type"] == "image/svg+xml":
            assert data.startswith(b"<svg")
            continue
        image = Image.open(io.BytesIO(data))
        assert image.format == "PNG"
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert image.size == (width, height)
    assert {"any", "maskable"} <= purposes
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}


@pytest.mark.parametrize("name", sorted(ICONS))
def test_committed_icons_are_what_app_icons_draws(name: str) -> None:
    """scripts/make_icons.py was run after the last change to the mark."""
    size, full_bleed = ICONS[name]
    committed = Image.open(io.BytesIO(_static_bytes(f"ondas/icons/{name}")))
    drawn = icon_image(size, full_bleed=full_bleed)
    assert committed.convert("RGBA").tobytes() == drawn.tobytes()


def test_maskable_icon_fills_its_square_and_the_other_has_round_corners() -> None:
    maskable = Image.open(
        io.BytesIO(_static_bytes("ondas/icons/icon-maskable-512.png"))
    )
    rounded = Image.open(io.BytesIO(_static_bytes("ondas/icons/icon-512.png")))
    assert maskable.convert("RGBA").getpixel((0, 0)) == (0x0E, 0x70, 0x65, 255)
    assert rounded.convert("RGBA").getpixel((0, 0))[3] == 0  # transparent corner
    assert rounded.convert("RGBA").getpixel((256, 40)) == (0x0E, 0x70, 0x65, 255)


def test_service_worker_is_served_at_the_root_uncached(client: Client) -> None:
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    prelude, _, code = body.partition(";\n")
    config = json.loads(prelude.removeprefix("self.ONDAS_SW = "))
    assert config["version"] == pwa.static_version()
    assert config["offline"] == "/offline/"
    assert config["static"] == "/static/"
    assert "/static/ondas/player.js" in config["shell"]
    assert 'addEventListener("fetch"' in code


def test_service_worker_version_follows_the_static_files(
    settings: Settings, tmp_path: Path
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "ondas-extra.css").write_text("body { color: red }")
    settings.STATICFILES_DIRS = [str(extra)]
    settings.DEBUG = True  # recomputed on every call
    before = pwa.static_version()
    assert pwa.static_version() == before  # stable while nothing changes

    (extra / "ondas-extra.css").write_text("body { color: blue }")

    assert pwa.static_version() != before


def test_shell_holds_everything_base_html_loads(
    client: Client, django_user_model: type[User]
) -> None:
    """Every static file of the page chrome, and the modules those import."""
    user = django_user_model.objects.create_user("ana@example.com", "a long pass")
    client.force_login(user)
    html = client.get(reverse("web:home")).content.decode()
    wanted = set(STATIC_URL_RE.findall(html))
    wanted.update(STATIC_URL_RE.findall(pwa.offline_page()))
    todo = [path for path in wanted if path.endswith(".js")]
    while todo:
        module = todo.pop()
        folder = module.rsplit("/", 1)[0]
        for name in IMPORT_RE.findall(_static_bytes(module).decode()):
            path = f"{folder}/{name}"
            if path not in wanted:
                wanted.add(path)
                todo.append(path)
    wanted.discard("ondas/icons/apple-touch-icon.png")  # for iOS's home screen only
    assert wanted <= set(pwa.SHELL_STATIC), wanted - set(pwa.SHELL_STATIC)
    for path in pwa.SHELL_STATIC:
        assert finders.find(path), path


@pytest.mark.parametrize(
    "url",
    ["/", "/account/sign-in/", "/plans/", "/no-such-page/", "/studio/", "/books/"],
)
def test_every_page_links_the_manifest_and_the_worker(client: Client, url: str) -> None:
    html = client.get(url, follow=True).content.decode()

    assert '<link rel="manifest" href="/manifest.es.webmanifest">' in html
    assert '<meta name="ondas-service-worker" content="/sw.js">' in html
    assert 'src="/static/ondas/pwa.js"' in html


def test_manifest_link_follows_the_language_chosen(client: Client) -> None:
    client.cookies["ondas_language"] = "en"
    html = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.en.webmanifest">' in html


def test_offline_page_has_every_language_and_nothing_of_anyone(
    client: Client, django_user_model: type[User]
) -> None:
    user = django_user_model.objects.create_user("ana@example.com", "a long pass")
    client.force_login(user)
    client.cookies["ondas_language"] = "en"

    response = client.get(reverse("web:offline"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "You are offline" in html
    assert "Sin conexión" in html
    # Spanish shows by default; offline.js shows the language of the cookie.
    assert re.search(
        r'data-offline-language="es"\s+data-title="Sin conexión · Ondas">', html
    )
    assert re.search(
        r'data-offline-language="en"\s+data-title="Offline · Ondas" hidden', html
    )
    assert 'lang="es"' in html and 'data-language-cookie="ondas_language"' in html
    assert "ana@example.com" not in html
    assert "csrfmiddlewaretoken" not in html
    assert "/audio/" not in html
