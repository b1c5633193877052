"""The installable web app: its manifest, its offline page and its service worker.

What the service worker keeps (``templates/ondas/pwa/service-worker.js``):
same-origin GETs of static files (styles, the players' modules, icons) and the
offline page, in one cache named after ``static_version()``. Pages always go
to the network; when it cannot be reached, the offline page answers. Audio,
feeds (public and private), the API and everything else never pass through
its cache: an exclusive episode's audio, or a private feed that carries a
listener's key, must not stay on a device after the right to it ends.

``static_version()`` hashes every static file, the offline page and the
worker's own code, so any change to them is a new worker script: the browser
installs it, it fills a new cache and deletes the old ones.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

THEME_COLOR = "#0e7065"
BACKGROUND_COLOR = "#f6f4f0"
WORKER_TEMPLATE = "ondas/pwa/service-worker.js"

# What every page loads (base.html and the modules those import), kept so
# the shell starts offline; tests/web/test_pwa.py checks the list follows
# base.html.
SHELL_STATIC = (
    "ondas/ondas.css",
    "accounts/accounts.css",
    "ondas/player.js",
    "ondas/player-core.js",
    "ondas/player-handoff.js",
    "ondas/episodes.js",
    "ondas/book-api.js",
    "ondas/book-meter.js",
    "ondas/episode-reports.js",
    "ondas/search.js",
    "ondas/pwa.js",
    "ondas/offline.js",
    "ondas/icon.svg",
    "ondas/icons/icon-192.png",
)


def manifest(*, language: str) -> dict[str, object]:
    """The web app manifest, its words in ``language``."""
    with translation.override(language):
        return {
            "id": "/",
            "name": _("Ondas: podcasts and audiobooks"),
            "short_name": "Ondas",
            "description": _("Podcasts and audiobooks, on a server of your own."),
            "lang": language,
            "dir": "ltr",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": BACKGROUND_COLOR,
            "categories": ["entertainment", "education"],
            "icons": [
                _icon("ondas/icons/icon-192.png", "192x192", "any"),
                _icon("ondas/icons/icon-512.png", "512x512", "any"),
                _icon("ondas/icons/icon-maskable-512.png", "512x512", "maskable"),
                {
                    "src": static("ondas/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "any",
                },
            ],
        }


def _icon(path: str, sizes: str, purpose: str) -> dict[str, str]:
    return {
        "src": static(path),
        "sizes": sizes,
        "type": "image/png",
        "purpose": purpose,
    }


def offline_page() -> str:
    """The offline page: one document in every language (offline.js shows the
    visitor's), with nothing of any person in it, so one copy fits everyone."""
    languages = [code for code, _name in settings.LANGUAGES]
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "ondas/offline.html",
            {
                "languages": languages,
                "default_language": settings.LANGUAGE_CODE,
                "language_cookie": settings.LANGUAGE_COOKIE_NAME,
            },
        )


def _hash_static() -> str:
    digest = hashlib.sha256()
    seen: set[str] = set()
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if path in seen:  # the first finder's copy is the one served
                continue
            seen.add(path)
            digest.update(path.encode() + b"\0")
            with storage.open(path) as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _cached_version() -> str:
    return _version()


def _version() -> str:
    digest = hashlib.sha256(_hash_static().encode())
    digest.update(offline_page().encode())
    digest.update(_worker_source().encode())
    return digest.hexdigest()[:16]


def static_version() -> str:
    """A short hash of what the worker keeps; computed once per process
    (a deploy starts new ones), on every call under DEBUG."""
    return _version() if settings.DEBUG else _cached_version()


def _worker_source() -> str:
    source: str = get_template(WORKER_TEMPLATE).template.source  # type: ignore[attr-defined]
    return source


def service_worker() -> str:
    """The worker's script: its settings, then its code."""
    config = {
        "version": static_version(),
        "static": settings.STATIC_URL,
        "offline": reverse("web:offline"),
        "shell": [static(path) for path in SHELL_STATIC],
    }
    return "self.ONDAS_SW = " + json.dumps(config) + ";\n" + _worker_source()
