"""Refreshing: the chaos a feed server can throw, and the human in the loop."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils.timezone import now as timezone_now
from pytest_django.fixtures import Settings

from ondas.catalog.models import Episode
from ondas.core.errors import ErrorCode
from ondas.ingest.errors import FeedApprovalStale, FeedRefreshNotPending
from ondas.ingest.models import FeedRefresh, FeedSource, RemoteEpisode
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import (
    feed_refresh_approve,
    feed_refresh_reject,
    feed_source_claim_due,
    feed_source_refresh,
)
from tests.ingest.factories import fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

FEED = "/feed.xml"


@pytest.fixture
def imported(feed_server: FeedServer) -> FeedSource:
    """A show imported from a feed of ten episodes."""
    url = feed_server.serve(FEED, Reply(rss(fake_items(10))))
    return feed_source_import(url=url)


def _guids(source: FeedSource) -> list[str]:
    return sorted(
        Episode.objects.filter(show=source.show).values_list("guid", flat=True)
    )


def _missing(source: FeedSource) -> list[str]:
    return sorted(
        RemoteEpisode.objects.filter(
            source=source, missing_since__isnull=False
        ).values_list("episode__guid", flat=True)
    )


def _refresh(source: FeedSource) -> FeedRefresh:
    source.refresh_from_db()
    return feed_source_refresh(source=source)


def _chaos() -> list[object]:
    """Bad answers a feed server gives: each case names itself when it fails."""
    ten = fake_items(10)
    good = rss(ten)
    older = rss(
        [replace(i, title=i.title + " (old)") for i in ten[:9]],
        build_date=ten[8].published,
    )
    cases = [
        ("empty body", Reply(b""), "failed", ErrorCode.FEED_EMPTY),
        (
            "cut-off body",
            Reply(good[:300], declared_length=len(good)),
            "failed",
            ErrorCode.FEED_TRUNCATED,
        ),
        (
            "truncated document",
            Reply(good[: len(good) // 2]),
            "failed",
            ErrorCode.FEED_TRUNCATED,
        ),
        (
            "server error",
            Reply(b"boom", status=500),
            "failed",
            ErrorCode.FEED_HTTP_ERROR,
        ),
        (
            "slow past the timeout",
            Reply(good, dribble=0.1),
            "failed",
            ErrorCode.FEED_TIMEOUT,
        ),
        (
            "not a feed",
            Reply(b"<html><p>maintenance</p></html>"),
            "failed",
            ErrorCode.FEED_UNPARSABLE,
        ),
        ("no episodes", Reply(rss([])), "refused", ErrorCode.FEED_EMPTY),
        (
            "items without audio",
            Reply(rss([replace(i, audio=False) for i in ten])),
            "refused",
            ErrorCode.FEED_NO_AUDIO,
        ),
        ("older version", Reply(older), "refused", ErrorCode.FEED_OLDER),
        (
            "half the episodes",
            Reply(rss(ten[5:])),
            "held",
            ErrorCode.FEED_MASS_REMOVAL_HELD,
        ),
    ]
    return [
        pytest.param(reply, outcome, reason, id=name)
        for name, reply, outcome, reason in cases
    ]


@pytest.mark.parametrize(("reply", "outcome", "reason"), _chaos())
def test_a_bad_answer_changes_nothing_and_says_why(
    imported: FeedSource,
    feed_server: FeedServer,
    settings: Settings,
    reply: Reply,
    outcome: str,
    reason: str,
) -> None:
    """No episode is lost or changed, and the audit row says what happened."""
    settings.ONDAS_FEEDS_TIMEOUT = 0.4
    before = _guids(imported)
    titles_before = sorted(Episode.objects.values_list("title", flat=True))
    feed_server.serve(FEED, reply)

    row = _refresh(imported)

    assert (row.outcome, row.reason) == (outcome, reason)
    assert row.message
    assert _guids(imported) == before
    assert _missing(imported) == []
    assert sorted(Episode.objects.values_list("title", flat=True)) == titles_before
    outcomes = FeedRefresh.objects.filter(source=imported).order_by("pk")
    assert list(outcomes.values_list("outcome", flat=True)) == ["applied", outcome]
    if reason == ErrorCode.FEED_HTTP_ERROR:
        assert row.http_status == 500


def test_an_unknown_host_changes_nothing(imported: FeedSource) -> None:
    before = _guids(imported)
    imported.url = "http://feed.invalid/feed.xml"
    imported.save(update_fields=["url"])

    row = _refresh(imported)

    assert (row.outcome, row.reason) == ("failed", ErrorCode.FEED_DNS_FAILED)
    assert _guids(imported) == before


def test_a_mass_removal_is_held_for_a_person(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    feed_server.serve(FEED, Reply(rss(fake_items(10)[5:])))

    held = _refresh(imported)

    assert (held.missing, held.decision, held.details["share_missing"]) == (
        5,
        "pending",
        0.5,
    )
    assert held.message == (
        "This refresh would mark 5 of 10 episodes as missing. "
        "It is held until a person approves it."
    )
    imported.refresh_from_db()
    # The next fetch is a full one, so the held body can be compared again.
    assert (imported.etag, imported.last_modified) == ("", "")


def test_good_refresh_after_chaos_applies(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    feed_server.serve(FEED, Reply(b"", status=503))
    assert _refresh(imported).outcome == "failed"
    items = fake_items(11)
    items[2] = replace(items[2], title="Renamed")
    feed_server.serve(FEED, Reply(rss(items)))
    row = _refresh(imported)
    assert (row.outcome, row.added, row.updated, row.missing) == ("applied", 1, 1, 0)
    renamed = Episode.objects.get(guid="ep-00002")
    assert (renamed.title, renamed.slug) == ("Renamed", "episode-2")
    imported.refresh_from_db()
    assert imported.failure_count == 0


def test_small_removal_marks_missing_and_restores(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    ten = fake_items(10)
    feed_server.serve(FEED, Reply(rss(ten[:4] + ten[5:])))  # one of ten: 10 %, allowed
    row = _refresh(imported)
    assert (row.outcome, row.missing) == ("applied", 1)
    assert _missing(imported) == ["ep-00004"]
    assert len(_guids(imported)) == 10
    feed_server.serve(FEED, Reply(rss(ten)))
    row = _refresh(imported)
    assert (row.outcome, row.restored) == ("applied", 1)
    assert _missing(imported) == []


def test_same_content_is_unchanged_and_304_is_not_modified(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    ten = fake_items(10)
    later = ten[-1].published + timedelta(hours=5)
    feed_server.serve(FEED, Reply(rss(ten, build_date=later), etag='"v2"'))
    assert _refresh(imported).outcome == "unchanged"
    row = _refresh(imported)
    assert row.outcome == "not_modified"
    assert feed_server.requests[-1][1]["If-None-Match"] == '"v2"'


def test_held_refresh_approved_marks_missing_never_deletes(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    ten = fake_items(10)
    feed_server.serve(FEED, Reply(rss(ten[6:])))
    held = _refresh(imported)
    assert held.outcome == "held"
    staff = get_user_model().objects.create_superuser("ops@example.com", "pw-123-long")
    row = feed_refresh_approve(refresh=held, acting_user=staff)
    assert (row.trigger, row.outcome, row.missing) == ("approval", "applied", 6)
    assert row.details["approved_refresh"] == held.pk
    assert len(_guids(imported)) == 10
    assert _missing(imported) == [f"ep-{n:05d}" for n in range(6)]
    held.refresh_from_db()
    assert (held.decision, held.decided_by_id, held.held_body) == (
        "approved",
        staff.pk,
        None,
    )
    with pytest.raises(FeedRefreshNotPending):
        feed_refresh_approve(refresh=held, acting_user=staff)


def test_approving_a_stale_held_refresh_is_refused(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    """us-east-1: an old plan approved late must not overwrite a newer one."""
    ten = fake_items(12)
    feed_server.serve(FEED, Reply(rss(ten[:10][7:])))
    held = _refresh(imported)
    feed_server.serve(FEED, Reply(rss(ten)))  # the publisher fixed the feed
    assert _refresh(imported).outcome == "applied"
    staff = get_user_model().objects.create_superuser("ops@example.com", "pw-123-long")
    with pytest.raises(FeedApprovalStale) as exc_info:
        feed_refresh_approve(refresh=held, acting_user=staff)
    assert exc_info.value.code == ErrorCode.FEED_APPROVAL_STALE
    held.refresh_from_db()
    assert held.decision == "rejected"
    assert _missing(imported) == [] and len(_guids(imported)) == 12


def test_rejecting_a_held_refresh(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    feed_server.serve(FEED, Reply(rss(fake_items(10)[8:])))
    held = _refresh(imported)
    again = _refresh(imported)
    assert (again.outcome, again.decision, again.details["same_as"]) == (
        "held",
        "",
        held.pk,
    )
    staff = get_user_model().objects.create_superuser("ops@example.com", "pw-123-long")
    feed_refresh_reject(refresh=held, acting_user=staff)
    held.refresh_from_db()
    assert held.decision == "rejected" and _missing(imported) == []


def test_failures_back_off_and_success_resets(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    feed_server.serve(FEED, Reply(b"", status=500))
    now = timezone_now()
    delays = []
    for _ in range(3):
        imported.refresh_from_db()
        feed_source_refresh(source=imported, now=now)
        imported.refresh_from_db()
        delays.append(imported.next_refresh_at - now)
    assert delays == [timedelta(hours=2), timedelta(hours=4), timedelta(hours=8)]
    feed_server.serve(FEED, Reply(rss(fake_items(10))))
    feed_source_refresh(source=imported, now=now)
    imported.refresh_from_db()
    assert (imported.failure_count, imported.next_refresh_at - now) == (
        0,
        timedelta(hours=1),
    )


def test_claim_due_hands_each_source_out_once(imported: FeedSource) -> None:
    FeedSource.objects.filter(pk=imported.pk).update(
        next_refresh_at=timezone_now() - timedelta(minutes=1)
    )
    assert feed_source_claim_due() == [imported.pk]
    assert feed_source_claim_due() == []


def test_refresh_due_command_runs_due_refreshes(
    imported: FeedSource, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    FeedSource.objects.filter(pk=imported.pk).update(
        next_refresh_at=timezone_now() - timedelta(minutes=1)
    )
    feed_server.serve(FEED, Reply(rss(fake_items(11))))
    call_command("feeds_refresh_due")  # tasks run inline in tests
    assert "1 feed(s) queued" in capsys.readouterr().out
    assert len(_guids(imported)) == 11
    latest = FeedRefresh.objects.filter(source=imported).first()
    assert latest is not None and (latest.trigger, latest.outcome) == (
        "schedule",
        "applied",
    )


def test_permanent_redirect_moves_the_source(
    imported: FeedSource, feed_server: FeedServer
) -> None:
    feed_server.serve(FEED, Reply(status=301, headers={"Location": "/moved.xml"}))
    feed_server.serve("/moved.xml", Reply(rss(fake_items(11))))
    assert _refresh(imported).outcome == "applied"
    imported.refresh_from_db()
    assert imported.url == feed_server.url("/moved.xml")
