"""The admin: a person approves or rejects a held refresh."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from ondas.ingest.models import FeedRefresh, RemoteEpisode
from ondas.ingest.services.imports import feed_source_import
from ondas.ingest.services.refresh import feed_source_refresh
from tests.ingest.factories import fake_items, rss
from tests.support.feeds import FeedServer, Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = get_user_model().objects.create_superuser("ops@example.com", "pw-123-long")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _held(feed_server: FeedServer) -> FeedRefresh:
    items = fake_items(10)
    url = feed_server.serve("/feed.xml", Reply(rss(items)))
    source = feed_source_import(url=url)
    feed_server.serve("/feed.xml", Reply(rss(items[7:])))
    row = feed_source_refresh(source=source)
    assert row.outcome == "held"
    return row


def test_admin_approve_action_applies_the_held_refresh(
    staff_client: Client, feed_server: FeedServer
) -> None:
    held = _held(feed_server)
    changelist = reverse("admin:ingest_feedrefresh_changelist")
    assert staff_client.get(changelist).status_code == 200
    response = staff_client.post(
        changelist,
        {"action": "approve_held", "_selected_action": [held.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        f"Refresh {held.pk} approved: 7 marked missing, 0 added."
        in response.content.decode()
    )
    assert RemoteEpisode.objects.filter(missing_since__isnull=False).count() == 7
    assert RemoteEpisode.objects.count() == 10


def test_admin_reject_action_and_errors(
    staff_client: Client, feed_server: FeedServer
) -> None:
    held = _held(feed_server)
    changelist = reverse("admin:ingest_feedrefresh_changelist")
    staff_client.post(
        changelist, {"action": "reject_held", "_selected_action": [held.pk]}
    )
    held.refresh_from_db()
    assert held.decision == "rejected"
    response = staff_client.post(
        changelist,
        {"action": "approve_held", "_selected_action": [held.pk]},
        follow=True,
    )
    assert "This refresh is not waiting for a decision." in response.content.decode()
    assert RemoteEpisode.objects.filter(missing_since__isnull=False).count() == 0


def test_admin_refresh_detail_page_renders(
    staff_client: Client, feed_server: FeedServer
) -> None:
    held = _held(feed_server)
    url = reverse("admin:ingest_feedrefresh_change", args=[held.pk])
    assert staff_client.get(url).status_code == 200
    source_url = reverse("admin:ingest_feedsource_change", args=[held.source_id])
    assert staff_client.get(source_url).status_code == 200
