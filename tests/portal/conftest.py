import pytest

from tests.personas import make_centre_admin, sign_in


@pytest.fixture(autouse=True)
def _acting(actor):
    return actor


@pytest.fixture
def centre_admin_client(client):
    """The test client signed in as a centre administrator (second factor passed)."""
    return sign_in(client, make_centre_admin())
