"""schemathesis against /api/v1/openapi.json, through Django's WSGI app, with a
write token: no server errors, and every answer as the schema says (errors
in the one shape)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import Settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ondas.catalog.models import Show

pytestmark = pytest.mark.django_db


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Requests run in the test's transaction: Django's own test client does this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_every_operation_keeps_its_schema(
    catalog: Show, write_token: str, settings: Settings, same_connection: None
) -> None:
    settings.ONDAS_API_RATE_LIMIT = 0
    settings.ALLOWED_HOSTS = ["*"]
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", get_wsgi_application()
    )
    auth = {"Authorization": f"Bearer {write_token}"}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=4,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=auth)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        run()
        checked += 1
    assert checked >= 15
