"""Named people and records for tests of who may see what (`make_physician(clinic=...)`).

Every helper creates real rows through the accounts services where one exists, so a test
reads like the centre it describes. Users get no password unless asked (Argon2 is slow on
purpose); tests sign them in with `client.force_login`.
"""

from __future__ import annotations

import itertools
from datetime import date

from radbridge.accounts.choices import Role
from radbridge.accounts.models import ClinicPolicy
from radbridge.accounts.services.users import create_account
from radbridge.clinical.models import (
    Location,
    Order,
    Organization,
    Patient,
    Practitioner,
    Report,
    ReportVersion,
)

_numbers = itertools.count(1)


def _next() -> int:
    return next(_numbers)


def make_site(name: str = "") -> Organization:
    n = _next()
    return Organization.objects.create(name=name or f"Site {n}", kind="site", identifier=f"S{n}")


def make_location(site: Organization | None = None) -> Location:
    n = _next()
    return Location.objects.create(code=f"ROOM{n}", name=f"Room {n}", organization=site)


def make_clinic(name: str = "", colleagues_see_orders: bool = False) -> Organization:
    n = _next()
    clinic = Organization.objects.create(
        name=name or f"Clinic {n}", kind="clinic", identifier=f"C{n}"
    )
    ClinicPolicy.objects.create(clinic=clinic, colleagues_see_orders=colleagues_see_orders)
    return clinic


def make_practitioner(clinic: Organization | None = None) -> Practitioner:
    n = _next()
    return Practitioner.objects.create(
        identifier=f"P{n}", family_name=f"Doctor{n}", given_name="Dana", organization=clinic
    )


def make_patient(birth_date: date = date(1980, 5, 17), phone: str = "+15550001") -> Patient:
    n = _next()
    patient = Patient.objects.create(
        family_name=f"Patient{n}", given_name="Pat", birth_date=birth_date, phones=[phone],
        email=f"pat{n}@example.org",
    )
    patient.identifiers.create(value=f"MRN{n}", assigning_authority="TEST", type_code="MR")
    return patient


def make_order(
    patient: Patient | None = None,
    practitioner: Practitioner | None = None,
    location: Location | None = None,
    report_text: str = "",
) -> Order:
    n = _next()
    order = Order.objects.create(
        accession_number=f"ACC{n}",
        patient=patient or make_patient(),
        ordering_practitioner=practitioner,
        location=location,
        procedure_text="CT chest",
        modality="CT",
    )
    if report_text:
        report = Report.objects.create(order=order, status="final")
        ReportVersion.objects.create(report=report, number=1, status="final", text=report_text)
    return order


def make_user(role: str, username: str = "", password: str | None = None, **links):
    return create_account(username or f"{role}{_next()}", role, password=password, **links)


def make_patient_user(patient: Patient | None = None, **kwargs):
    return make_user(Role.PATIENT, patient=patient or make_patient(), **kwargs)


def make_physician(practitioner: Practitioner | None = None, clinic=None, **kwargs):
    practitioner = practitioner or make_practitioner(clinic)
    return make_user(Role.PHYSICIAN, practitioner=practitioner, clinic=clinic, **kwargs)


def make_staff(role: str = Role.RADIOLOGIST, sites=(), locations=(), all_sites=False, **kwargs):
    return make_user(role, sites=list(sites), locations=list(locations), all_sites=all_sites,
                     **kwargs)


def make_centre_admin(**kwargs):
    return make_user(Role.CENTRE_ADMIN, **kwargs)


def make_clinic_admin(clinic: Organization, **kwargs):
    return make_user(Role.CLINIC_ADMIN, clinic=clinic, **kwargs)


def make_integration(**kwargs):
    return make_user(Role.INTEGRATION, **kwargs)


def sign_in(client, user):
    """Sign a user in as the login page would, second factor passed for roles that need it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def api_token_for(user, *scopes: str, patient: Patient | None = None) -> str:
    """A real bearer token of the accounts app for any user (made directly, so tests may give
    one to a user of any role); returns the clear token."""
    from datetime import timedelta

    from django.utils import timezone

    from radbridge.accounts.models import ApiToken
    from radbridge.accounts.secrets import digest, new_token
    from radbridge.accounts.services.tokens import parse_scopes

    clear = new_token("rbt")
    ApiToken.objects.create(
        user=user, name="test", token_hash=digest(clear), prefix=clear[:10],
        scopes=parse_scopes(list(scopes)), patient=patient,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return clear
