"""Creating accounts and changing their roles, sites and second factors."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from radbridge.clinical.models import Location, Organization, Patient, Practitioner
from radbridge.core import audit

from ..choices import CLINIC_ROLES, STAFF_ROLES, Role
from ..models import BackupCodeDevice, ClinicPolicy, Profile
from ..permissions import assignable_roles, can_manage_user, role_of
from .errors import AccountsError


def check_role_links(role: str, practitioner, clinic, patient) -> None:
    if role not in Role.values:
        choices = ", ".join(Role.values)
        raise AccountsError(f"unknown role {role!r}: choose one of {choices}", "role")
    if role == Role.PHYSICIAN and practitioner is None:
        raise AccountsError(
            "a referring physician must be linked to their practitioner record (the ID the RIS "
            "uses in ORC-12/OBR-16)",
            "practitioner",
        )
    if role in CLINIC_ROLES and clinic is not None and clinic.kind != "clinic":
        raise AccountsError(f"{clinic} is not a referring clinic", "clinic")
    if role == Role.CLINIC_ADMIN and clinic is None:
        raise AccountsError("a clinic administrator needs a clinic", "clinic")
    if role == Role.PATIENT and patient is None:
        raise AccountsError("a patient account must be linked to a patient record", "patient")


@transaction.atomic
def create_account(
    username: str,
    role: str,
    *,
    email: str = "",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    practitioner: Practitioner | None = None,
    clinic: Organization | None = None,
    patient: Patient | None = None,
    sites: list[Organization] = (),
    locations: list[Location] = (),
    all_sites: bool = False,
) -> User:
    """Create a user and its profile. Audited as accounts.user_created."""
    username = username.strip()
    if not username:
        raise AccountsError("a user name is required", "username")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountsError(f"the user name {username!r} is taken: choose another", "username")
    check_role_links(role, practitioner, clinic, patient)
    user = User.objects.create_user(
        username, email=email, password=password, first_name=first_name, last_name=last_name
    )
    profile = Profile.objects.create(
        user=user,
        role=role,
        phone=phone,
        practitioner=practitioner,
        clinic=clinic,
        patient=patient,
        all_sites=all_sites and role in STAFF_ROLES,
    )
    if role in STAFF_ROLES:
        profile.sites.set(sites)
        profile.locations.set(locations)
    audit.record(
        "accounts.user_created",
        "user",
        user.pk,
        patient_id=patient.pk if patient else None,
        username=username,
        role=role,
    )
    return user


@transaction.atomic
def change_role(actor, target: User, role: str, **links) -> Profile:
    """An administrator changes a user's role (and its links). Audited as
    accounts.role_changed with the old and new role."""
    if not can_manage_user(actor, target):
        raise AccountsError("you may not change this user", "user")
    if role not in assignable_roles(actor):
        raise AccountsError(f"you may not give the role {role!r}", "role")
    profile, _ = Profile.objects.select_for_update().get_or_create(
        user=target, defaults={"role": role}
    )
    previous = profile.role
    fields = {"practitioner", "clinic", "patient", "all_sites", "phone"}
    for name, value in links.items():
        if name in fields:
            setattr(profile, name, value)
    if role_of(actor) == Role.CLINIC_ADMIN:
        profile.clinic = actor.profile.clinic  # a clinic administrator manages their own only
    check_role_links(role, profile.practitioner, profile.clinic, profile.patient)
    profile.role = role
    profile.save()
    if "sites" in links:
        profile.sites.set(links["sites"])
    if "locations" in links:
        profile.locations.set(links["locations"])
    audit.record(
        "accounts.role_changed", "user", target.pk, previous_role=previous, role=role,
        username=target.get_username(),
    )
    return profile


@transaction.atomic
def set_active(actor, target: User, active: bool) -> None:
    if not can_manage_user(actor, target):
        raise AccountsError("you may not change this user", "user")
    target.is_active = active
    target.save(update_fields=["is_active"])
    audit.record(
        "accounts.user_activated" if active else "accounts.user_deactivated", "user", target.pk
    )


@transaction.atomic
def reset_two_factor(actor, target: User) -> None:
    """Remove a user's second factors (lost phone or passkey device): they enrol again at
    their next login."""
    if not can_manage_user(actor, target):
        raise AccountsError("you may not change this user", "user")
    removed = TOTPDevice.objects.filter(user=target).delete()[0]
    passkeys = WebAuthnCredential.objects.filter(user=target)
    removed += passkeys.count()
    passkeys.delete()
    BackupCodeDevice.objects.filter(user=target).delete()
    audit.record("auth.2fa_reset", "user", target.pk, devices_removed=removed)


@transaction.atomic
def set_clinic_policy(actor, clinic: Organization, colleagues_see_orders: bool) -> ClinicPolicy:
    role = role_of(actor)
    if not (
        role == Role.CENTRE_ADMIN
        or (role == Role.CLINIC_ADMIN and actor.profile.clinic_id == clinic.pk)
    ):
        raise AccountsError("you may not change this clinic's policy", "clinic")
    policy, _ = ClinicPolicy.objects.update_or_create(
        clinic=clinic, defaults={"colleagues_see_orders": colleagues_see_orders}
    )
    audit.record(
        "accounts.clinic_policy_changed", "organization", clinic.pk,
        colleagues_see_orders=colleagues_see_orders,
    )
    return policy
