"""Owners of imported shows: the person who imported, and a claim proven by
the feed itself through a real refresh."""

from __future__ import annotations

import pytest

from ondas.accounts.models import User
from ondas.core.errors import ErrorCode
from ondas.ingest.models import FeedSource
from ondas.ingest.services.import_requests import (
    feed_import_request,
    feed_import_run,
)
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
from ondas.studio.errors import ClaimNotImported, StudioForbidden
from ondas.studio.models import Membership, Role, ShowClaim
from ondas.studio.services.claims import show_claim_request
from tests.accounts.factories import user_make
from tests.ingest.factories import fake_items, rss
from tests.studio.conftest import Cast
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

FEED = "/claimed.xml"


@pytest.fixture
def creator(db: None) -> User:
    return user_make(email="publisher@example.com", role=User.Role.CREATOR)


@pytest.fixture
def imported(feed_server: FeedServer) -> FeedSource:
    """A show imported by staff's command line: nobody owns it yet."""
    url = feed_server.serve(FEED, Reply(rss(fake_items(3))))
    return feed_source_import(url=url)


def _owners(source: FeedSource) -> list[str]:
    return sorted(
        Membership.objects.filter(show=source.show, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
    )


def test_the_person_who_imports_a_show_owns_it(
    feed_server: FeedServer, creator: User
) -> None:
    url = feed_server.serve(FEED, Reply(rss(fake_items(3))))
    requested = feed_import_request(url=url, acting_user=creator)
    record = feed_import_run(feed_import_id=requested.pk)  # what the task runs
    assert record is not None and record.source is not None
    assert _owners(record.source) == ["publisher@example.com"]


def test_an_import_from_the_command_line_has_no_owner(imported: FeedSource) -> None:
    assert _owners(imported) == []


def test_a_claim_code_in_podcast_txt_makes_the_claimer_an_owner(
    feed_server: FeedServer, imported: FeedSource, creator: User
) -> None:
    claim = show_claim_request(show=imported.show, acting_user=creator)
    assert claim.token.startswith("ondas-claim-")
    # The next refresh without the code proves nothing.
    feed_source_refresh(source=imported)
    assert _owners(imported) == []
    extra = f'<podcast:txt purpose="verify">{claim.token}</podcast:txt>'
    feed_server.serve(FEED, Reply(rss(fake_items(3), extra_channel=extra)))
    imported.refresh_from_db()
    feed_source_refresh(source=imported)
    assert _owners(imported) == ["publisher@example.com"]
    claim.refresh_from_db()
    assert claim.proven_at is not None


def test_a_claim_code_in_the_description_works_too(
    feed_server: FeedServer, imported: FeedSource, creator: User
) -> None:
    claim = show_claim_request(show=imported.show, acting_user=creator)
    body = rss(fake_items(3)).replace(
        b"A show that exists to be broken.",
        f"A show that exists to be broken. {claim.token}".encode(),
    )
    feed_server.serve(FEED, Reply(body))
    feed_source_refresh(source=imported)
    assert _owners(imported) == ["publisher@example.com"]


def test_someone_elses_code_proves_nothing(
    feed_server: FeedServer, imported: FeedSource, creator: User
) -> None:
    rival = user_make(email="rival@example.com", role=User.Role.CREATOR)
    claim = show_claim_request(show=imported.show, acting_user=creator)
    show_claim_request(show=imported.show, acting_user=rival)
    extra = f"<podcast:txt>{claim.token}</podcast:txt>"
    feed_server.serve(FEED, Reply(rss(fake_items(3), extra_channel=extra)))
    feed_source_refresh(source=imported)
    assert _owners(imported) == ["publisher@example.com"]
    assert ShowClaim.objects.filter(user=rival, proven_at__isnull=True).count() == 1


def test_a_listener_cannot_claim_and_a_studio_show_has_no_feed(
    imported: FeedSource, cast: Cast
) -> None:
    with pytest.raises(StudioForbidden):
        show_claim_request(show=imported.show, acting_user=cast.listener)
    with pytest.raises(ClaimNotImported) as exc_info:
        show_claim_request(show=cast.show, acting_user=cast.other_creator)
    assert exc_info.value.code == ErrorCode.STUDIO_CLAIM_NOT_IMPORTED
    assert not ShowClaim.objects.exists()
