"""An owner stops following an imported show's feed (issue 13, item 8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ondas.catalog.models import Category, Episode
from ondas.core.errors import ErrorCode
from ondas.ingest.models import FeedRefresh, FeedSource
from ondas.ingest.services import refresh as refresh_module
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from tests.ingest.factories import fake_items, rss, with_title
from tests.studio.conftest import Cast
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

FEED = "/f.xml"


@pytest.fixture
def imported(feed_server: FeedServer, cast: Cast) -> FeedSource:
    """A show of ten episodes imported from its feed; cast.owner owns it and
    cast.editor edits it."""
    url = feed_server.serve(FEED, Reply(rss(fake_items(10))))
    source = feed_source_import(url=url)
    membership_grant(target=source.show, user=cast.owner, role=Role.OWNER)
    membership_grant(target=source.show, user=cast.editor, role=Role.EDITOR)
    return source


def _show_form(**changes: str) -> dict[str, str]:
    data = {
        "title": "Radio Propia",
        "author": "Luz Martín",
        "description": "<p>Ahora es nuestro.</p>",
        "language": "es",
        "category": str(Category.objects.get(name="Tech News").pk),
        "default_access": "free",
    }
    data.update(changes)
    return data


def _detach(client: Client, source: FeedSource) -> Any:
    return client.post(f"/studio/shows/{source.show.pk}/feed/stop/")


def test_the_owner_is_told_what_changes_then_every_field_is_theirs(
    client: Client, cast: Cast, imported: FeedSource
) -> None:
    show = imported.show
    client.force_login(cast.owner)
    edit = client.get(f"/studio/shows/{show.pk}/").content.decode()
    assert 'id="feed-detach"' in edit
    page = client.get(f"/studio/shows/{show.pk}/feed/stop/").content.decode()
    assert imported.url in page
    assert "new episodes published in that feed no longer arrive here" in page
    # Before: the feed's fields are refused.
    client.post(f"/studio/shows/{show.pk}/", _show_form())
    show.refresh_from_db()
    assert show.title == "Chaos Radio"

    response = _detach(client, imported)

    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.detached_at is not None and imported.enabled is False
    edit = client.get(f"/studio/shows/{show.pk}/").content.decode()
    assert 'id="feed-detached"' in edit and "This show follows its RSS feed" not in edit
    assert client.post(f"/studio/shows/{show.pk}/", _show_form()).status_code == 302
    show.refresh_from_db()
    assert (show.title, show.author, show.language) == (
        "Radio Propia",
        "Luz Martín",
        "es",
    )
    # The episodes stay, with the publisher's enclosures.
    assert Episode.objects.filter(show=show).count() == 10
    assert imported.episodes.count() == 10


def test_an_imported_episode_is_editable_once_the_feed_is_no_longer_followed(
    client: Client, cast: Cast, imported: FeedSource
) -> None:
    from ondas.catalog.services.authored import episode_managed_fields

    episode = Episode.objects.filter(show=imported.show).first()
    assert episode is not None
    assert "title" in episode_managed_fields(episode=episode)
    client.force_login(cast.owner)
    _detach(client, imported)
    assert episode_managed_fields(episode=episode) == frozenset()


def test_a_refresh_after_it_applies_nothing_and_says_why(
    client: Client, cast: Cast, imported: FeedSource, feed_server: FeedServer
) -> None:
    client.force_login(cast.owner)
    _detach(client, imported)
    items = [with_title(item, "Changed upstream") for item in fake_items(11)]
    feed_server.serve(FEED, Reply(rss(items, title="Renamed upstream")))
    imported.refresh_from_db()

    row = feed_source_refresh(source=imported)

    assert (row.outcome, row.reason) == ("refused", ErrorCode.FEED_SOURCE_DETACHED)
    imported.show.refresh_from_db()
    assert imported.show.title == "Chaos Radio"
    assert Episode.objects.filter(show=imported.show).count() == 10
    assert not Episode.objects.filter(title="Changed upstream").exists()


def test_stopping_while_a_refresh_is_fetching_wins(
    cast: Cast,
    imported: FeedSource,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The refresh checks again under the row lock, after its fetch."""
    from django.utils.timezone import now

    fetch = refresh_module.fetch_url

    def fetch_then_detach(*args: Any, **kwargs: Any) -> Any:
        result = fetch(*args, **kwargs)
        FeedSource.objects.filter(pk=imported.pk).update(detached_at=now())
        return result

    monkeypatch.setattr(refresh_module, "fetch_url", fetch_then_detach)
    feed_server.serve(FEED, Reply(rss(fake_items(12), title="Renamed upstream")))
    imported.refresh_from_db()

    row = feed_source_refresh(source=imported)

    assert row.outcome == "refused"
    assert Episode.objects.filter(show=imported.show).count() == 10


def test_a_held_refresh_is_rejected_when_the_feed_is_no_longer_followed(
    client: Client, cast: Cast, imported: FeedSource, feed_server: FeedServer
) -> None:
    feed_server.serve(FEED, Reply(rss(fake_items(10)[6:])))
    imported.refresh_from_db()
    held = feed_source_refresh(source=imported)
    assert held.decision == "pending"
    client.force_login(cast.owner)

    _detach(client, imported)

    held.refresh_from_db()
    assert (held.decision, held.decided_by, held.held_body) == (
        FeedRefresh.Decision.REJECTED,
        cast.owner,
        None,
    )


def test_only_an_owner_may_stop_following_and_others_get_404(
    client: Client, cast: Cast, imported: FeedSource
) -> None:
    for person in (cast.editor, cast.analyst, cast.other_creator, cast.listener):
        client.force_login(person)
        url = f"/studio/shows/{imported.show.pk}/feed/stop/"
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    client.force_login(cast.editor)
    assert (
        'id="feed-detach"'
        not in client.get(f"/studio/shows/{imported.show.pk}/").content.decode()
    )
    imported.refresh_from_db()
    assert imported.detached_at is None and imported.enabled is True


def test_a_show_made_in_the_studio_has_no_feed_to_stop(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    url = f"/studio/shows/{cast.show.pk}/feed/stop/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_stopping_twice_is_refused_and_changes_nothing(
    client: Client, cast: Cast, imported: FeedSource
) -> None:
    client.force_login(cast.owner)
    _detach(client, imported)
    imported.refresh_from_db()
    first = imported.detached_at

    response = _detach(client, imported)

    assert response.status_code == 409
    imported.refresh_from_db()
    assert imported.detached_at == first


def test_the_confirmation_speaks_spanish(
    client: Client, cast: Cast, imported: FeedSource
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.force_login(cast.owner)
    page = client.get(f"/studio/shows/{imported.show.pk}/feed/stop/").content.decode()
    assert "Dejar de seguir el feed" in page
    assert "los cambios que esperan aprobación se rechazan" in page
