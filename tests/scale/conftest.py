import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Settings) -> None:
    """Sign-in goes through force_login: the hash only needs to exist."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
