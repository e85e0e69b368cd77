import pytest


@pytest.fixture(autouse=True)
def _acting(actor):
    """Services audit what they change, so every accounts test acts as someone."""
    return actor
