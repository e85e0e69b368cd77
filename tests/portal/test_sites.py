"""Sites and rooms: administrators create and rename sites and place rooms in them
(audited); a taken code gets a clear answer; nobody else opens the page."""

import pytest

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Location, Organization
from radbridge.core.models import AuditEntry
from tests.personas import make_site, make_staff, sign_in

pytestmark = pytest.mark.django_db


def test_admin_creates_a_site_and_places_a_room_in_it(centre_admin_client):
    centre_admin_client.post("/sites/", {"name": "Île-Verte Radiologie", "identifier": "ILEVERTE"})
    site = Organization.objects.get(identifier="ILEVERTE")
    assert site.kind == "site"
    Location.objects.create(code="CT1")
    centre_admin_client.post("/sites/rooms/", {"code": "CT1", "site": site.pk})
    assert Location.objects.get(code="CT1").organization == site
    page = centre_admin_client.get("/sites/").content.decode()
    assert "Île-Verte Radiologie" in page and "CT1" in page
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"clinical.site.created", "clinical.location.placed"} <= actions


def test_renaming_keeps_the_site(centre_admin_client):
    site = make_site("Old name")
    centre_admin_client.post(f"/sites/{site.pk}/", {"name": "New name", "identifier": "NEW"})
    site.refresh_from_db()
    assert (site.name, site.identifier) == ("New name", "NEW")


def test_a_taken_code_gets_a_clear_error(centre_admin_client):
    make_site("North").__class__.objects.filter(name="North").update(identifier="NORTH")
    response = centre_admin_client.post("/sites/", {"name": "Another", "identifier": "NORTH"})
    assert response.status_code == 400
    assert "taken by another organization" in response.content.decode()
    assert not Organization.objects.filter(name="Another").exists()


def test_a_room_cannot_go_to_a_clinic(centre_admin_client):
    clinic = Organization.objects.create(name="Clinic", kind="clinic", identifier="CL1")
    response = centre_admin_client.post("/sites/rooms/", {"code": "MR1", "site": clinic.pk},
                                 follow=True)
    assert "choose a site from the list" in response.content.decode()
    assert not Location.objects.filter(code="MR1").exists()


def test_staff_cannot_change_sites(client):
    sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True))
    assert client.get("/sites/").status_code == 404
    assert client.post("/sites/", {"name": "X", "identifier": "X"}).status_code == 404
    assert not Organization.objects.filter(identifier="X").exists()
