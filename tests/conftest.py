"""Fixtures shared by every test: isolated media storage and the demo catalog."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from shutil import which
from typing import BinaryIO

import pytest
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import Browser, sync_playwright
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.billing.models import Plan, Subscription
from ondas.billing.services import subscription_cancel
from ondas.catalog.models import Audiobook, Episode, Show
from ondas.ops import demo
from ondas.ops.demo_audio import encode_tone_mp3
from ondas.playback.rights_cache import rights_cache
from tests.accounts.factories import user_make
from tests.support.billing import (
    PASSWORD,
    SUBSCRIBER_EMAIL,
    T0,
    premium_plan_make,
    subscribe,
)
from tests.support.feeds import FeedServer, small_show_make
from tests.support.private_feeds import exclusive_plan_make

# The moto S3 server fixtures, for every test module that asks for them.
from tests.support.s3_fixtures import s3, s3_beside_local, s3_server  # noqa: F401

_DB_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_setup", "django_db_reset_sequences"}
)


def _uses_test_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return bool(item.get_closest_marker("django_db")) or bool(
        _DB_FIXTURES.intersection(fixtures)
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Tests marked ``postgresql`` run on the PostgreSQL pass only; on that
    pass, a slow test that never opens the test database is not run again.

    The ``postgresql`` ones ask PostgreSQL itself (``EXPLAIN``, its pool,
    ``pg_stat_activity``): on SQLite they are deselected, and pytest says how
    many, rather than passing without checking anything.

    Those tests start ``ondas serve`` or nginx on a site of their own
    (``tests.support.servers.temporary_site``), which always runs on SQLite
    whatever ``DATABASE_URL`` says, or drive a PostgreSQL server they start
    themselves: the SQLite pass has run them already, the same way. Slow tests
    that use the test database run on both.
    """
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        elsewhere = [item for item in items if item.get_closest_marker("postgresql")]
        if elsewhere:
            config.hook.pytest_deselected(items=elsewhere)
            items[:] = [item for item in items if item not in elsewhere]
    if not os.environ.get("DATABASE_URL"):
        return
    again = [
        item
        for item in items
        if not item.get_closest_marker("slow") or _uses_test_database(item)
    ]
    if len(again) == len(items):
        return
    config.hook.pytest_deselected(items=[item for item in items if item not in again])
    items[:] = again


_MP3_CACHE: dict[tuple[int, tuple[int, ...]], bytes] = {}


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path: Path) -> Path:
    """Every test writes audio and artwork to a folder of its own."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def fresh_language() -> Iterator[None]:
    """The language a request chose must not leak into the next test."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def no_kept_rights() -> Iterator[None]:
    """The lean audio path keeps yes answers by audio id, and ids come back
    after a test's transaction is rolled back: every test starts with none."""
    rights_cache.clear()
    yield
    rights_cache.clear()


@pytest.fixture(autouse=True)
def no_kept_results() -> Iterator[None]:
    """Kept search results are found by the index's version, which a rolled
    back test returns to where it was: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def inline_tasks(settings: Settings) -> None:
    """Background tasks run inline, so a test sees their effect at once."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }


@pytest.fixture(autouse=True)
def full_text_search(settings: Settings) -> None:
    """Search is full text alone unless a test asks for meaning too
    (``tests/search/test_semantic*.py``): the other tests pin what full text
    finds, and the semantic extra is installed for the suite."""
    settings.ONDAS_SEARCH_SEMANTIC = False


def _cached_encode(
    out: BinaryIO, *, duration_seconds: int, chapter_starts: Sequence[int] = (0,)
) -> int:
    # The encoder is real; its output for the same input is kept for the session
    # so that each test does not spend seconds re-encoding the same demo audio.
    key = (duration_seconds, tuple(chapter_starts))
    if key not in _MP3_CACHE:
        buffer = io.BytesIO()
        encode_tone_mp3(
            buffer, duration_seconds=duration_seconds, chapter_starts=chapter_starts
        )
        _MP3_CACHE[key] = buffer.getvalue()
    out.write(_MP3_CACHE[key])
    return len(_MP3_CACHE[key])


@pytest.fixture
def demo_catalog(db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Show]:
    """The demo catalog, loaded through `ondas demo`'s own code; yields the main show."""
    monkeypatch.setattr(demo, "encode_tone_mp3", _cached_encode)
    demo.demo_load()
    yield Show.objects.get(slug=demo.BACKEND_SHOW.slug)


@pytest.fixture
def demo_book(demo_catalog: Show) -> Audiobook:
    """The demo's two-part book: parts of 3:30 and 3:00; the chapter "Bytes
    without copies" runs from 2:50 into part 2."""
    return Audiobook.objects.get(slug="small-servers-big-audiences")


@pytest.fixture
def demo_subscriber(demo_catalog: Show) -> User:
    """A person on the demo's Premium plan (trial, good card), signed up now."""
    user = User.objects.create_user(SUBSCRIBER_EMAIL, PASSWORD)
    subscribe(user, Plan.objects.get(slug="premium"))
    return user


@pytest.fixture
def page_faults_episode(demo_catalog: Show) -> Episode:
    return Episode.objects.get(show=demo_catalog, slug="cpu-and-kernel-page-faults")


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright — never a downloaded browser.

    One for the whole run: Playwright's sync API allows one instance per thread.
    """
    if not CHROMIUM.exists() or which("chromium") is None:
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(scripts/system-deps.sh)"
        )
    # Playwright's sync API runs an event loop in this thread, and Django then
    # refuses ORM calls from it; the tests only touch the ORM between steps.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Shared by several apps' tests ------------------------------------------------


@pytest.fixture
def english() -> Iterator[None]:
    """Messages in English, the source language, so tests can read them.

    Directories whose tests all read English turn it on for every test in
    their conftest.py.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 serving what the test sets."""
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def allow_loopback(settings: Settings) -> None:
    """Tests allow-list 127.0.0.1 explicitly, as an operator would."""
    settings.ONDAS_FEEDS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.ONDAS_FEEDS_ALLOWED_HOSTS = []
    settings.ONDAS_FEEDS_TIMEOUT = 2.0


@pytest.fixture
def small_show(db: None) -> Show:
    """A show with three free episodes with audio and chapters, one exclusive,
    one without audio, one scheduled for later, people and a funding link."""
    return small_show_make()


@pytest.fixture
def premium(db: None) -> Plan:
    """The storefront's plan: 99 MXN a month, a 7-day trial, 20 book hours."""
    return premium_plan_make()


@pytest.fixture
def plan(db: None) -> Plan:
    """Premium with no trial: the first payment is taken at once."""
    return exclusive_plan_make()


@pytest.fixture
def listener(db: None) -> User:
    """A listener with no subscription yet."""
    return user_make(email="oyente@example.com")


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("ana@example.com", "a long pass phrase")


@pytest.fixture
def subscription(user: User, premium: Plan) -> Subscription:
    """``user`` on Premium, trialing since T0 with the good test card."""
    return subscribe(user, premium, now=T0)


@pytest.fixture
def cancelled_subscription(subscription: Subscription, user: User) -> Subscription:
    return subscription_cancel(subscription=subscription, acting_user=user, now=T0)
