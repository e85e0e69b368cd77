import pytest


@pytest.fixture(autouse=True)
def _acting(actor):
    """Services audit what they change, so every accounts test acts as someone."""
    return actor


# DICOM files of the cross-app tests here go to a folder of their own, as in tests/imaging.
from tests.imaging.conftest import dicom_storage_dir  # noqa: E402, F401
