"""The private feed keys admin: read-only, no secrets shown, one action that
replaces a key through the service and tells its subscriber."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.catalog.services import show_create
from ondas.core import clock
from ondas.feedkeys.errors import PrivateFeedNotFound
from ondas.feedkeys.models import PrivateFeedKey
from ondas.feedkeys.selectors import feed_key_get_by_token
from ondas.feedkeys.services import feed_key_use_record
from tests.accounts.factories import PASSWORD, user_make
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:feedkeys_privatefeedkey_changelist")
ACTION = "revoke_and_replace"


def _signed_in(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(db: None) -> Client:
    return _signed_in(User.objects.create_superuser("root@example.com", PASSWORD))


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Sala secreta", author="Ana", language="es")


@pytest.fixture
def keyed(show: Show) -> tuple[PrivateFeedKey, str]:
    """A subscriber's live key, used today, and its token."""
    listener = user_make(email="oyente@example.com")
    subscribe(listener, exclusive_plan_make())
    key, token = key_make(listener, show)
    for ip, app in [("192.0.2.1", "Overcast"), ("198.51.100.7", "AntennaPod")]:
        feed_key_use_record(key=key, client_ip=ip, app=app, now=clock.now())
    return key, token


def _secrets(key: PrivateFeedKey) -> list[str]:
    key.refresh_from_db()
    return [key.seed, key.token_hash]


def test_changelist_lists_keys_without_their_secrets(
    admin_client: Client, keyed: tuple[PrivateFeedKey, str]
) -> None:
    key, token = keyed

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "oyente@example.com" in html
    assert "Sala secreta" in html
    assert "Revoke and replace (the subscriber copies the new address" in html
    for secret in [*_secrets(key), token]:
        assert secret not in html


def test_changelist_filters_and_search(
    admin_client: Client, keyed: tuple[PrivateFeedKey, str]
) -> None:
    key, _token = keyed

    for query, listed in [
        ("?revoked=no", True),
        ("?revoked=yes", False),
        ("?flagged=yes", False),
        ("?flagged=no", True),
        ("?origin__exact=created", True),
        ("?q=oyente", True),
        ("?q=Sala", True),
        ("?q=nadie", False),
    ]:
        html = admin_client.get(CHANGELIST + query).content.decode()
        assert (f'value="{key.pk}"' in html) is listed, query


def test_key_page_is_read_only_and_shows_daily_counts_not_digests(
    admin_client: Client, keyed: tuple[PrivateFeedKey, str]
) -> None:
    key, token = keyed

    response = admin_client.get(
        reverse("admin:feedkeys_privatefeedkey_change", args=[key.pk])
    )

    assert response.status_code == 200
    html = response.content.decode()
    today = clock.now().date()
    assert "<tr><th>Day</th><th>Networks</th><th>Apps</th></tr>" in html
    assert f"<tr><td>{today.isoformat()}</td><td>2</td><td>2</td></tr>" in html
    assert 'name="_save"' not in html
    digests = list(key.uses.values_list("digest", flat=True))
    assert len(digests) == 4
    for secret in [*_secrets(key), token, *digests]:
        assert secret not in html


def test_revoke_and_replace_action_replaces_the_key_and_emails_the_subscriber(
    admin_client: Client,
    keyed: tuple[PrivateFeedKey, str],
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    key, old_token = keyed
    mail.outbox.clear()  # the receipt of the subscription

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": ACTION, "_selected_action": [key.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert (
        "1 private feed address replaced; its subscriber was told by email."
        in response.content.decode()
    )
    with pytest.raises(PrivateFeedNotFound):
        feed_key_get_by_token(token=old_token)
    key.refresh_from_db()
    assert key.revoked_at is not None
    new = PrivateFeedKey.objects.get(user=key.user, show=key.show, revoked_at=None)
    assert new.origin == PrivateFeedKey.Origin.STAFF_REPLACED
    new_token = new.token()
    assert new_token is not None and new_token != old_token
    assert feed_key_get_by_token(token=new_token) == new
    [message] = mail.outbox
    assert message.to == ["oyente@example.com"]
    assert message.subject == "Reemplazamos la dirección de tu feed privado"
    assert "Sala secreta" in message.body
    assert "/account/#private-feeds" in message.body
    assert new_token not in message.body and old_token not in message.body

    account = _signed_in(key.user).get(reverse("accounts:account")).content.decode()
    assert 'data-private-feed-state="replaced"' in account
    assert new_token in account


def test_revoke_and_replace_leaves_a_revoked_key_alone(
    admin_client: Client,
    keyed: tuple[PrivateFeedKey, str],
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    key, _token = keyed
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            CHANGELIST, {"action": ACTION, "_selected_action": [key.pk]}, follow=True
        )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": ACTION, "_selected_action": [key.pk]},
            follow=True,
        )

    html = response.content.decode()
    assert (
        "The address of oyente@example.com for Sala secreta was already revoked; "
        "left as it is."
    ) in html
    assert "0 private feed addresses replaced" not in html
    assert PrivateFeedKey.objects.filter(user=key.user).count() == 2
    assert mail.outbox == []


def test_staff_without_permissions_get_no_access(
    keyed: tuple[PrivateFeedKey, str],
) -> None:
    key, _token = keyed
    staff = _signed_in(user_make(email="ops@example.com", role=User.Role.STAFF))

    assert staff.get(CHANGELIST).status_code == 403
    change = reverse("admin:feedkeys_privatefeedkey_change", args=[key.pk])
    assert staff.get(change).status_code == 403
    response = staff.post(CHANGELIST, {"action": ACTION, "_selected_action": [key.pk]})
    assert response.status_code == 403
    assert PrivateFeedKey.objects.count() == 1


def test_staff_who_may_only_view_cannot_replace(
    keyed: tuple[PrivateFeedKey, str],
) -> None:
    key, _token = keyed
    viewer = user_make(email="ops@example.com", role=User.Role.STAFF)
    viewer.user_permissions.add(Permission.objects.get(codename="view_privatefeedkey"))
    client = _signed_in(viewer)

    html = client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": ACTION, "_selected_action": [key.pk]})

    assert "oyente@example.com" in html
    assert "Revoke and replace" not in html
    assert PrivateFeedKey.objects.count() == 1
    assert PrivateFeedKey.objects.get().revoked_at is None
