"""Private feed keys: who may have one, how they are replaced, what is kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit
from pytest_django.fixtures import Settings

from ondas.accounts.models import User
from ondas.accounts.services import user_delete
from ondas.billing.models import Subscription
from ondas.catalog.models import Show
from ondas.catalog.services import show_create
from ondas.core.errors import ErrorCode
from ondas.feedkeys.errors import PrivateFeedNeedsPlan, PrivateFeedNotFound
from ondas.feedkeys.models import PrivateFeedKey, PrivateFeedKeyUse
from ondas.feedkeys.selectors import feed_key_get_by_token
from ondas.feedkeys.services import (
    feed_key_create,
    feed_key_regenerate,
    feed_key_use_record,
    feed_key_uses_prune,
)
from ondas.feedkeys.tokens import (
    network_of,
    seed_make,
    token_derive,
    token_hash,
    use_digest,
)
from ondas.ops.cli import main as cli_main
from tests.support.billing import T0
from tests.support.settings import settings_with

DAY = timedelta(days=1)


@pytest.fixture
def show(db: None) -> Show:
    return show_create(title="Sala", author="Ana", language="es")


@pytest.fixture
def key(subscription: Subscription, user: User, show: Show) -> PrivateFeedKey:
    return feed_key_create(user=user, show=show, now=T0)


def test_feed_key_create_needs_a_plan_with_the_exclusive_shows(
    user: User, show: Show
) -> None:
    with pytest.raises(PrivateFeedNeedsPlan) as exc_info:
        feed_key_create(user=user, show=show, now=T0)
    assert exc_info.value.code == ErrorCode.PRIVATE_FEED_NEEDS_PLAN
    assert exc_info.value.http_status == 403
    assert not PrivateFeedKey.objects.exists()


def test_feed_key_create_twice_gives_the_same_key(
    key: PrivateFeedKey, user: User, show: Show
) -> None:
    again = feed_key_create(user=user, show=show, now=T0 + DAY)
    assert again.pk == key.pk
    assert PrivateFeedKey.objects.count() == 1


def test_one_live_key_per_person_and_show(key: PrivateFeedKey) -> None:
    seed = seed_make()
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivateFeedKey.objects.create(
            user=key.user,
            show=key.show,
            seed=seed,
            token_hash=token_hash(token_derive(seed)),
            origin=PrivateFeedKey.Origin.CREATED,
            created_at=T0,
        )


def test_feed_key_regenerate_revokes_the_old_key(
    key: PrivateFeedKey, user: User, show: Show
) -> None:
    old_token = key.token()
    assert old_token is not None and feed_key_get_by_token(token=old_token) == key

    new = feed_key_regenerate(user=user, show=show, now=T0 + DAY)

    key.refresh_from_db()
    assert key.revoked_at == T0 + DAY
    assert new.origin == PrivateFeedKey.Origin.REGENERATED
    with pytest.raises(PrivateFeedNotFound):
        feed_key_get_by_token(token=old_token)
    new_token = new.token()
    assert new_token is not None and feed_key_get_by_token(token=new_token) == new


def test_feed_key_regenerate_without_a_key_is_not_found(user: User, show: Show) -> None:
    with pytest.raises(PrivateFeedNotFound) as exc_info:
        feed_key_regenerate(user=user, show=show, now=T0)
    assert exc_info.value.http_status == 404


def test_tokens_are_keyed_random_and_never_stored(key: PrivateFeedKey) -> None:
    token = key.token()
    assert token is not None and len(token) == 43
    assert token_derive(key.seed) == token
    assert token_derive(key.seed, secret="another secret key") != token
    assert seed_make() != seed_make()
    assert len(bytes.fromhex(seed_make())) * 8 == 256
    assert token not in repr(PrivateFeedKey.objects.filter(pk=key.pk).values().get())


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.4", "198.51.100.0/24"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_network_of(address: str, network: str) -> None:
    assert network_of(address) == network


def test_use_digests_are_keyed_and_change_every_day() -> None:
    today = T0.date()
    first = use_digest(kind="network", value="203.0.113.0/24", day=today)
    assert first == use_digest(kind="network", value="203.0.113.0/24", day=today)
    assert first != use_digest(kind="network", value="203.0.113.0/24", day=today + DAY)
    assert first != use_digest(kind="app", value="203.0.113.0/24", day=today)
    assert "203.0.113" not in first


def test_uses_are_one_row_per_key_day_kind_and_digest(key: PrivateFeedKey) -> None:
    for _ in range(3):
        feed_key_use_record(key=key, client_ip="192.0.2.1", app="Overcast", now=T0)
    feed_key_use_record(key=key, client_ip="192.0.2.99", app="Overcast", now=T0)
    feed_key_use_record(key=key, client_ip=None, app="Overcast", now=T0 + DAY)

    rows = list(
        PrivateFeedKeyUse.objects.order_by("day", "kind").values_list("day", "kind")
    )
    assert rows == [
        (T0.date(), "app"),
        (T0.date(), "network"),
        ((T0 + DAY).date(), "app"),
    ]
    key.refresh_from_db()
    assert key.last_used_at == T0 + DAY


def test_the_email_about_a_shared_feed_is_in_the_storefronts_language(
    key: PrivateFeedKey,
    settings: Settings,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    settings.ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY = 1
    with django_capture_on_commit_callbacks(execute=True):
        feed_key_use_record(key=key, client_ip=None, app="one", now=T0)
        feed_key_use_record(key=key, client_ip=None, app="two", now=T0)

    [message] = [m for m in mail.outbox if "Ondas receipt" not in m.subject]
    assert message.subject == "Reemplazamos la dirección de tu feed privado"
    assert "Sala" in message.body
    assert "/account/#private-feeds" in message.body


def test_billing_run_forgets_old_uses_and_long_revoked_keys(
    key: PrivateFeedKey, user: User, show: Show, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ondas billing run`, the periodic job, prunes private-feed uses as well."""
    feed_key_use_record(key=key, client_ip="192.0.2.1", app="Overcast", now=T0)
    feed_key_use_record(
        key=key, client_ip="192.0.2.1", app="Overcast", now=T0 + 29 * DAY
    )
    new = feed_key_regenerate(user=user, show=show, now=T0 + 2 * DAY)

    assert cli_main(["billing", "run", "--now", (T0 + 31 * DAY).isoformat()]) == 0

    assert list(PrivateFeedKeyUse.objects.values_list("day", flat=True).distinct()) == [
        (T0 + 29 * DAY).date()
    ]
    assert PrivateFeedKey.objects.filter(pk=key.pk).exists()  # revoked 29 days ago
    assert "forgot 2 private feed use(s) and key(s)" in capsys.readouterr().out

    feed_key_uses_prune(now=T0 + 33 * DAY)
    assert list(PrivateFeedKey.objects.values_list("pk", flat=True)) == [new.pk]


def test_deleting_the_account_deletes_its_keys(
    key: PrivateFeedKey, user: User, client: Client
) -> None:
    user_delete(user=user, password="a long pass phrase", now=T0 + DAY)
    assert not PrivateFeedKey.objects.exists()


def _settings_with(tmp_path: Path, **env: str) -> dict[str, object]:
    return settings_with(tmp_path, prefix="ONDAS_PRIVATE_FEED_", **env)


def test_private_feed_settings_come_from_the_environment(tmp_path: Path) -> None:
    assert _settings_with(tmp_path) == {
        "ONDAS_PRIVATE_FEED_AUTO_RESET": True,
        "ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY": 5,
        "ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY": 6,
    }
    assert _settings_with(
        tmp_path,
        ONDAS_PRIVATE_FEED_AUTO_RESET="0",
        ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY="2",
        ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY="3",
    ) == {
        "ONDAS_PRIVATE_FEED_AUTO_RESET": False,
        "ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY": 2,
        "ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY": 3,
    }
    with pytest.raises(RuntimeError, match="must be 1 or more"):
        _settings_with(tmp_path, ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY="0")
