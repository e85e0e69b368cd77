import pytest


@pytest.fixture(autouse=True)
def _acting(actor):
    return actor
