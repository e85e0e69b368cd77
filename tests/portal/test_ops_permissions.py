"""The permission matrix over every staff and administrator page: anonymous is sent to sign
in; each role that may not use a page gets 404 (it need not know the page exists)."""

import pytest

from radbridge.accounts.choices import Role
from tests.permission_matrix import check_matrix
from tests.personas import (
    make_centre_admin,
    make_clinic,
    make_clinic_admin,
    make_patient_user,
    make_physician,
    make_staff,
)

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/interfaces/", "/interfaces/journal/", "/interfaces/outbound/",
               "/interfaces/associations/", "/sites/",
               "/templates/", "/templates/new/", "/settings/"]
STAFF_PAGES = ["/dashboard/"]
RECONCILE_PAGES = ["/interfaces/reconciliation/"]


def people():
    return {
        Role.PATIENT: make_patient_user(),
        Role.PHYSICIAN: make_physician(),
        Role.CLINIC_ADMIN: make_clinic_admin(make_clinic()),
        Role.FRONT_DESK: make_staff(Role.FRONT_DESK, all_sites=True),
        Role.TECHNOLOGIST: make_staff(Role.TECHNOLOGIST, all_sites=True),
        Role.RADIOLOGIST: make_staff(Role.RADIOLOGIST, all_sites=True),
    }


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_administrator_pages_are_404_for_every_other_role(client, url):
    admin = make_centre_admin()
    for user in people().values():
        check_matrix(client, url=url, permitted=admin, outsider=user)


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_dashboard_is_for_staff_and_administrators(client, url):
    everyone = people()
    for role in (Role.PATIENT, Role.PHYSICIAN, Role.CLINIC_ADMIN):
        for permitted in (everyone[Role.FRONT_DESK], everyone[Role.RADIOLOGIST],
                          make_centre_admin()):
            check_matrix(client, url=url, permitted=permitted, outsider=everyone[role])


@pytest.mark.parametrize("url", RECONCILE_PAGES)
def test_reconciliation_is_for_front_desk_technologists_and_administrators(client, url):
    everyone = people()
    for role in (Role.PATIENT, Role.PHYSICIAN, Role.CLINIC_ADMIN, Role.RADIOLOGIST):
        for permitted in (everyone[Role.FRONT_DESK], everyone[Role.TECHNOLOGIST]):
            check_matrix(client, url=url, permitted=permitted, outsider=everyone[role])
