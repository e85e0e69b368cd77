"""What each role may do at all: the Django model permissions it grants, in one table.

`user.has_perm("clinical.add_order")` is how every app asks whether someone may create
patients or orders (FHIR), upload images (STOW-RS) or reconcile studies; `RoleBackend`
answers from ROLE_PERMISSIONS below. Which records (patients, sites, clinics) stays the
business of the permission rules (`rules.py`), applied on the queryset. The backend never
authenticates anyone (its `authenticate` answers None), so it adds no way to log in.

A request made with an API token is narrowed further to what the token's scopes allow: a
permission counts only when a scope names its FHIR resource type and access (`Patient.write`
for `clinical.add_patient`); permissions no scope names (reconciling) are not for tokens.
Django's own ModelBackend keeps granting permissions given to a user by hand, and a superuser
has them all.
"""

from __future__ import annotations

from django.apps import apps

from .choices import Role
from .permissions import role_of

# Every permission of RadBridge's own apps (a centre administrator's).
ALL_OF_OURS = frozenset({"*"})
VIEW_RECORDS = frozenset({
    "clinical.view_patient", "clinical.view_order", "clinical.view_report",
    "imaging.view_study", "imaging.view_series", "imaging.view_instance",
})
ADD_PATIENT, ADD_ORDER = "clinical.add_patient", "clinical.add_order"
ADD_INSTANCE, RECONCILE = "imaging.add_instance", "imaging.reconcile_study"
# For whom (self, patients they may order for, patients at the site): scheduling/permissions.py.
BOOK_SLOT = "scheduling.book_slot"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CENTRE_ADMIN: ALL_OF_OURS,
    Role.FRONT_DESK: VIEW_RECORDS | {ADD_PATIENT, ADD_ORDER, RECONCILE, BOOK_SLOT},
    Role.TECHNOLOGIST: VIEW_RECORDS | {ADD_INSTANCE, RECONCILE, BOOK_SLOT},
    Role.RADIOLOGIST: VIEW_RECORDS,
    # Their own orders: the order is placed in their name (see permissions.ordering_practitioner).
    Role.PHYSICIAN: frozenset({ADD_ORDER, BOOK_SLOT}),
    Role.CLINIC_ADMIN: frozenset(),  # manages the clinic's users (permissions.py), no records
    # API only: what its token's scopes allow of these.
    Role.INTEGRATION: VIEW_RECORDS | {ADD_PATIENT, ADD_ORDER, ADD_INSTANCE, BOOK_SLOT},
    Role.PATIENT: frozenset({BOOK_SLOT}),  # for themselves and those they are proxy for
}

# The FHIR resource type and access a token's scope must allow for a permission to count.
SCOPE_OF_PERMISSION = {
    ADD_PATIENT: ("Patient", "write"),
    ADD_ORDER: ("ServiceRequest", "write"),
    ADD_INSTANCE: ("ImagingStudy", "write"),
    BOOK_SLOT: ("Appointment", "write"),
    "clinical.view_patient": ("Patient", "read"),
    "clinical.view_order": ("ServiceRequest", "read"),
    "clinical.view_report": ("DiagnosticReport", "read"),
    "imaging.view_study": ("ImagingStudy", "read"),
    "imaging.view_series": ("ImagingStudy", "read"),
    "imaging.view_instance": ("ImagingStudy", "read"),
}


def our_app_labels() -> frozenset[str]:
    return frozenset(
        config.label for config in apps.get_app_configs() if config.name.startswith("radbridge.")
    )


def role_grants(role: str | None, permission: str) -> bool:
    """Does this role grant this permission ("app_label.codename")?"""
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    if granted is ALL_OF_OURS:
        return permission.split(".", 1)[0] in our_app_labels()
    return permission in granted


def token_allows(user, permission: str) -> bool:
    """Without a token (a session), nothing more to check; with one, its scopes decide."""
    scopes = getattr(user, "token_scopes", None)
    if scopes is None:
        return True
    needed = SCOPE_OF_PERMISSION.get(permission)
    return needed is not None and scopes.allows(*needed)


class RoleBackend:
    """Grants the permissions of the user's role; object-level limits live in the rules."""

    def authenticate(self, request, **credentials):
        """Django asks every backend; this one never lets anyone in."""
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if obj is not None:
            return False  # object-level decisions are the rules' (restrict()), not ours
        return role_grants(role_of(user_obj), perm) and token_allows(user_obj, perm)
