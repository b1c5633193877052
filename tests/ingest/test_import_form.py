"""The import page: creators and staff import a show from its feed in the
background and see the show, or the refusal's own message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.core.errors import ErrorCode
from ondas.ingest.models import FeedImport, FeedRefresh, FeedSource
from ondas.ingest.services.import_requests import feed_import_request, feed_import_run
from tests.accounts.factories import user_make
from tests.ingest.factories import fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

IMPORT_URL = reverse("web:feed-import")


@pytest.fixture(autouse=True)
def quick_hashing(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db: None) -> User:
    return user_make(email="ops@example.com", role=User.Role.STAFF)


@pytest.fixture
def creator(db: None) -> User:
    return user_make(email="maker@example.com", role=User.Role.CREATOR)


def browser_for(user: User | None, language: str = "en") -> Client:
    client = Client()
    client.cookies["ondas_language"] = language
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def submit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Callable[..., tuple[FeedImport, str]]:
    """Post the form as ``user`` and return the import and the page it leads to."""

    def post(user: User, language: str = "en", **data: str) -> tuple[FeedImport, str]:
        client = browser_for(user, language)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(IMPORT_URL, {"owner_email": "", **data})
        assert response.status_code == 302, response.content.decode()[:500]
        record = FeedImport.objects.get()
        assert response["Location"] == reverse(
            "web:feed-import-detail", args=[record.pk]
        )
        page = client.get(response["Location"])
        assert page.status_code == 200
        record.refresh_from_db()
        return record, page.content.decode()

    return post


def test_staff_import_creates_the_show_and_links_to_it(
    submit: Callable[..., tuple[FeedImport, str]],
    staff: User,
    feed_server: FeedServer,
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(3))))

    record, html = submit(staff, url=url)

    show = Show.objects.get(title="Chaos Radio")
    assert (record.status, record.source, record.reason) == (
        FeedImport.Status.DONE,
        FeedSource.objects.get(show=show),
        "",
    )
    assert show.episodes.count() == 3
    assert "Imported: “Chaos Radio”." in html
    assert f'href="{reverse("web:show-detail", args=[show.slug])}"' in html
    assert 'http-equiv="refresh"' not in html  # finished: no more reloading
    audit = FeedRefresh.objects.get(source=record.source)
    assert (audit.trigger, audit.outcome) == ("import", "applied")
    assert audit.source.imported_by == staff


def test_creator_import_of_a_locked_feed_with_the_owners_email(
    submit: Callable[..., tuple[FeedImport, str]],
    creator: User,
    feed_server: FeedServer,
) -> None:
    body = rss(fake_items(1), locked="yes", owner_email="owner@example.com")
    url = feed_server.serve("/locked.xml", Reply(body))

    record, html = submit(creator, url=url, owner_email="owner@example.com")

    assert record.status == FeedImport.Status.DONE
    assert record.owner_email == ""  # not kept once used
    assert "Imported: “Chaos Radio”." in html


def test_locked_feed_without_the_owners_email_is_refused(
    submit: Callable[..., tuple[FeedImport, str]],
    creator: User,
    feed_server: FeedServer,
) -> None:
    body = rss(fake_items(1), locked="yes", owner_email="owner@example.com")
    url = feed_server.serve("/locked.xml", Reply(body))

    record, html = submit(creator, url=url)

    assert (record.status, record.reason) == (
        FeedImport.Status.FAILED,
        ErrorCode.FEED_LOCKED,
    )
    assert "This feed is locked by its owner (podcast:locked)." in html
    assert Show.objects.exists() is False


def test_cloud_metadata_address_is_refused_with_its_reason(
    submit: Callable[..., tuple[FeedImport, str]], staff: User
) -> None:
    record, html = submit(staff, url="http://169.254.169.254/latest/meta-data/")

    message = (
        "“169.254.169.254” points to 169.254.169.254, a private, local or reserved "
        "address; Ondas does not fetch feeds from there."
    )
    assert (record.status, record.reason, record.message) == (
        FeedImport.Status.FAILED,
        ErrorCode.FEED_ADDRESS_REFUSED,
        message,
    )
    assert "The feed was not imported." in html
    assert message in html
    # Nothing typed is lost: "Try again" carries the address back to the form.
    assert "?url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F" in html
    assert FeedSource.objects.exists() is False


def test_refusal_is_written_in_the_language_of_the_page(
    submit: Callable[..., tuple[FeedImport, str]], staff: User
) -> None:
    record, html = submit(staff, language="es", url="http://169.254.169.254/")

    assert record.message == (
        "«169.254.169.254» apunta a 169.254.169.254, una dirección privada, local "
        "o reservada; Ondas no descarga feeds de ahí."
    )
    assert record.message in html


def test_malformed_feed_is_refused_with_the_parsers_reason(
    submit: Callable[..., tuple[FeedImport, str]],
    staff: User,
    feed_server: FeedServer,
) -> None:
    url = feed_server.serve("/bad.xml", Reply(b"<rss><channel><title>x</rss>"))

    record, html = submit(staff, url=url)

    assert (record.status, record.reason) == (
        FeedImport.Status.FAILED,
        ErrorCode.FEED_UNPARSABLE,
    )
    assert record.message.startswith("The feed is not valid RSS or Atom: ")
    assert record.message in html
    assert Show.objects.exists() is False


def test_feed_already_imported_links_to_the_existing_show(
    submit: Callable[..., tuple[FeedImport, str]],
    staff: User,
    feed_server: FeedServer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1))))
    with django_capture_on_commit_callbacks(execute=True):
        first = feed_import_request(url=url, acting_user=staff)
    FeedImport.objects.filter(pk=first.pk).delete()

    record, html = submit(staff, url=url)

    assert (record.status, record.reason) == (
        FeedImport.Status.FAILED,
        ErrorCode.FEED_ALREADY_IMPORTED,
    )
    assert record.source == FeedSource.objects.get()
    assert "This feed is already imported as “chaos-radio”." in html
    assert f'href="{reverse("web:show-detail", args=["chaos-radio"])}"' in html


def test_import_runs_once_when_its_task_is_delivered_twice(
    staff: User,
    feed_server: FeedServer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1))))
    with django_capture_on_commit_callbacks(execute=True):
        record = feed_import_request(url=url, acting_user=staff)
    fetches = len(feed_server.requests)

    again = feed_import_run(feed_import_id=record.pk)

    assert again is not None and again.status == FeedImport.Status.DONE
    assert len(feed_server.requests) == fetches == 1
    assert FeedSource.objects.count() == 1


def test_pending_import_page_refreshes_itself(staff: User) -> None:
    # Queued, but its task has not run (no commit in this test).
    record = feed_import_request(
        url="https://feeds.example.org/x.xml", acting_user=staff
    )

    html = (
        browser_for(staff)
        .get(reverse("web:feed-import-detail", args=[record.pk]))
        .content.decode()
    )

    assert record.status == FeedImport.Status.PENDING
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "Waiting to start… This page refreshes by itself." in html


def test_form_is_prefilled_from_the_address_and_lists_recent_imports(
    staff: User,
) -> None:
    feed_import_request(url="https://feeds.example.org/old.xml", acting_user=staff)

    html = (
        browser_for(staff)
        .get(IMPORT_URL + "?url=https%3A%2F%2Fpodcasts.example.net%2Fgarden%2Frss")
        .content.decode()
    )

    assert 'value="https://podcasts.example.net/garden/rss"' in html
    assert "Your latest imports" in html
    assert "https://feeds.example.org/old.xml" in html


def test_form_refuses_a_malformed_address_and_queues_nothing(staff: User) -> None:
    response = browser_for(staff).post(IMPORT_URL, {"url": "not a url"})

    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()
    assert FeedImport.objects.exists() is False


def test_listeners_are_refused_the_page_and_the_import(
    feed_server: FeedServer,
) -> None:
    listener = user_make(email="lis@example.com")
    url = feed_server.serve("/feed.xml", Reply(rss(fake_items(1))))
    client = browser_for(listener)

    page = client.get(IMPORT_URL)
    post = client.post(IMPORT_URL, {"url": url})

    assert page.status_code == post.status_code == 403
    assert "Only creators and staff can import shows from feeds." in (
        page.content.decode()
    )
    assert FeedImport.objects.exists() is False
    assert feed_server.requests == []


def test_visitors_are_sent_to_sign_in() -> None:
    response = browser_for(None).get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign-in") + "?next=/studio/import/"


def test_creators_see_only_their_own_imports_and_staff_see_all(
    creator: User, staff: User
) -> None:
    other = user_make(email="maker2@example.com", role=User.Role.CREATOR)
    record = feed_import_request(
        url="https://feeds.example.org/x.xml", acting_user=other
    )
    detail = reverse("web:feed-import-detail", args=[record.pk])

    assert browser_for(creator).get(detail).status_code == 404
    assert browser_for(other).get(detail).status_code == 200
    assert browser_for(staff).get(detail).status_code == 200
