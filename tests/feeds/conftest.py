import pytest


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Every test here reads English messages."""
