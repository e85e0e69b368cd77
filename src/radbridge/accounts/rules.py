"""The two rules every PHI query goes through: which orders, which patients a user may see.

Registered with core's `restrict()` from AccountsConfig.ready(). Every other PHI model
(reports, documents, appointments, studies) declares `restricted_via = ("order", "patient")`
and so follows these two. Each rule returns `queryset.none()` unless a branch below allows.

- Order: centre administrators and integration accounts: all; centre staff: orders at their
  sites; physicians: what they ordered or were copied on, their clinic colleagues' when the
  clinic allows it, and every order of a patient who consented; patients: their own and
  those they are proxy for, after merges too.
- Patient (the whole record): centre administrators and integration accounts: all; staff:
  patients with an order at their sites; a patient: self and proxied; a physician: only
  patients who consented.
A bearer token limited to one patient narrows both to that patient.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from radbridge.clinical.models import Order, Patient, Practitioner

from .choices import STAFF_ROLES, Role
from .models import ClinicPolicy, Consent
from .permissions import own_patient_ids, physician_patient_filter, profile_of, role_of

EVERYTHING = Q()
NOTHING = None  # no condition can grant it: the rule answers queryset.none()
READ = "view"
WRITE_ACTIONS = frozenset({"view", "change"})


def site_filter(user, location_path: str) -> Q:
    """Orders (or what leads to them through `location_path`) at this staff member's sites."""
    profile = profile_of(user)
    if profile.all_sites:
        return EVERYTHING
    site_ids = list(profile.sites.values_list("pk", flat=True))
    location_ids = list(profile.locations.values_list("pk", flat=True))
    return Q(**{f"{location_path}__in": location_ids}) | Q(
        **{f"{location_path}__organization__in": site_ids}
    )


def physician_order_filter(user) -> Q:
    profile = profile_of(user)
    # Resolved to id lists here: an OR of three subqueries makes PostgreSQL read every order
    # (seconds at a million), an OR of three short id lists is three index lookups.
    practitioner_ids = [profile.practitioner_id] if profile.practitioner_id else []
    shares_within_clinic = ClinicPolicy.objects.filter(
        clinic=profile.clinic_id, colleagues_see_orders=True
    )
    if profile.clinic_id and shares_within_clinic.exists():
        practitioner_ids = list(Practitioner.objects.filter(
            Q(organization=profile.clinic_id)
            | Q(profiles__clinic=profile.clinic_id, profiles__role=Role.PHYSICIAN)
        ).values_list("pk", flat=True))
    copied = list(
        Order.objects.filter(copies_to__in=practitioner_ids).values_list("pk", flat=True)
    )
    consented = consented_patient_ids(user)
    return (
        Q(ordering_practitioner__in=practitioner_ids)
        | Q(pk__in=copied)
        | Q(patient__in=consented)
    )


def consented_patient_ids(user) -> list[int]:
    """physician_patient_filter's patients as ids: who consented, and where they were merged."""
    consented = list(
        Consent.objects.active().filter(physician=user).values_list("patient", flat=True)
    )
    if not consented:
        return []
    survivors = Patient.objects.filter(pk__in=consented, merged_into__isnull=False)
    return [*consented, *survivors.values_list("merged_into", flat=True)]


def _patients(condition: Q):
    return Patient.objects.filter(condition).values("pk")


def token_limit(user) -> Q | None:
    """A patient-scoped API token narrows everything to that patient (and merged records)."""
    patient_id = getattr(user, "token_patient_id", None)
    return None if patient_id is None else Q(pk=patient_id) | Q(merged_into=patient_id)


def order_filter(user, action: str) -> Q | None:
    role = role_of(user)
    if role in (Role.CENTRE_ADMIN, Role.INTEGRATION):
        return EVERYTHING if action in WRITE_ACTIONS else NOTHING
    if role in STAFF_ROLES:
        return site_filter(user, "location") if action in WRITE_ACTIONS else NOTHING
    if role == Role.PHYSICIAN and action == READ:
        return physician_order_filter(user)
    if role == Role.PATIENT and action == READ:
        return Q(patient__in=own_patient_ids(user))
    return NOTHING


def patient_filter(user, action: str) -> Q | None:
    role = role_of(user)
    if role in (Role.CENTRE_ADMIN, Role.INTEGRATION):
        return EVERYTHING if action in WRITE_ACTIONS else NOTHING
    if role in STAFF_ROLES and action in WRITE_ACTIONS:
        if profile_of(user).all_sites:
            return EVERYTHING
        at_sites = Order.objects.filter(site_filter(user, "location")).values("patient")
        return Q(pk__in=at_sites)
    if role == Role.PHYSICIAN and action == READ:
        return physician_patient_filter(user)
    if role == Role.PATIENT and action == READ:
        return Q(pk__in=own_patient_ids(user))
    return NOTHING


def order_rule(queryset: QuerySet, user, action: str) -> QuerySet:
    condition = order_filter(user, action)
    if condition is NOTHING:
        return queryset.none()
    limit = token_limit(user)
    if limit is not None:
        condition &= Q(patient__in=_patients(limit))
    return queryset.filter(condition)


def patient_rule(queryset: QuerySet, user, action: str) -> QuerySet:
    condition = patient_filter(user, action)
    if condition is NOTHING:
        return queryset.none()
    limit = token_limit(user)
    if limit is not None:
        condition &= limit
    return queryset.filter(condition)
