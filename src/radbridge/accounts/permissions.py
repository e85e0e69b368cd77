"""The permission service: every object-level decision about people lives here.

Querysets are narrowed by the rules in `rules.py` (registered with core's `restrict()`);
views and APIs call the functions below for what a queryset cannot say (may this user manage
that user, record consent for this patient, read the audit log). Deny by default: a user
with no profile, an inactive user or an unknown role may do nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import Http404

from radbridge.clinical.models import Order, Patient

from .choices import CLINIC_ROLES, STAFF_ROLES, TWO_FACTOR_ROLES, Role
from .models import Profile, ProxyGrant


def profile_of(user) -> Profile | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def role_of(user) -> str | None:
    """The user's role; a Django superuser without a profile is a centre administrator."""
    profile = profile_of(user)
    if profile is not None:
        return profile.role
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return Role.CENTRE_ADMIN
    return None


def requires_two_factor(user) -> bool:
    return role_of(user) in TWO_FACTOR_ROLES


def surviving_ids(patient_ids: set[int]) -> set[int]:
    """The given patients and, for each merged one, the record it was merged into."""
    result, frontier = set(patient_ids), set(patient_ids)
    while frontier:
        frontier = set(
            Patient.objects.filter(pk__in=frontier, merged_into__isnull=False).values_list(
                "merged_into_id", flat=True
            )
        ) - result
        result |= frontier
    return result


def own_patient_ids(user) -> set[int]:
    """Patients whose records a patient account sees: its own and those it is a proxy for."""
    profile = profile_of(user)
    ids = set()
    if profile is not None and profile.patient_id:
        ids.add(profile.patient_id)
    if user is not None and getattr(user, "is_authenticated", False):
        ids |= set(ProxyGrant.objects.active().filter(proxy=user).values_list("patient", flat=True))
    return surviving_ids(ids) if ids else set()


def may_act_for_patient(user, patient: Patient) -> bool:
    """The patient themself, or a proxy: may grant consent, share studies, see their log."""
    return role_of(user) == Role.PATIENT and patient.pk in own_patient_ids(user)


def may_view_audit(user) -> bool:
    return role_of(user) == Role.CENTRE_ADMIN


def manageable_users(user) -> QuerySet:
    """Users this administrator may see and change: all for the centre, the clinic's own
    physicians and administrators for a clinic administrator."""
    role = role_of(user)
    users = User.objects.select_related("profile").order_by("username")
    if role == Role.CENTRE_ADMIN:
        return users
    if role == Role.CLINIC_ADMIN and (clinic_id := profile_of(user).clinic_id):
        return users.filter(profile__clinic_id=clinic_id, profile__role__in=CLINIC_ROLES)
    return users.none()


def can_manage_user(actor, target) -> bool:
    if actor.pk == target.pk:
        return False  # nobody changes their own role or resets their own second factor here
    if target.is_superuser and not actor.is_superuser:
        return False
    return manageable_users(actor).filter(pk=target.pk).exists()


def assignable_roles(actor) -> list[str]:
    role = role_of(actor)
    if role == Role.CENTRE_ADMIN:
        return list(Role.values)
    if role == Role.CLINIC_ADMIN:
        return sorted(CLINIC_ROLES)
    return []


def may_record_consent(user, patient: Patient) -> bool:
    """Staff who may change this patient's record, or a centre administrator."""
    role = role_of(user)
    if role not in (*STAFF_ROLES, Role.CENTRE_ADMIN):
        return False
    return Patient.objects.restrict(user, "change").filter(pk=patient.pk).exists()


def may_invite(user) -> bool:
    return role_of(user) in (Role.FRONT_DESK, Role.CENTRE_ADMIN)


def get_visible_or_404(queryset: QuerySet, user, action: str = "view", **lookup):
    """The object if this user may `action` it; 404 otherwise, so its existence stays hidden."""
    found = queryset.restrict(user, action).filter(**lookup).first()
    if found is None:
        raise Http404("no such record")
    return found


def physician_patient_filter(user) -> Q:
    """Patients whose whole record a physician sees: those who consented (while it lasts)."""
    from .models import Consent

    consented = Consent.objects.active().filter(physician=user).values("patient")
    return Q(pk__in=consented) | Q(merged_from__in=consented)


def ordering_practitioner(user):
    """The practitioner in whose name this user's orders are placed: a referring physician
    orders as themself (so they see the order afterwards); None for everyone else, who may
    name any requester. Whether they may order at all is `user.has_perm("clinical.add_order")`."""
    profile = profile_of(user)
    if profile is None or profile.role != Role.PHYSICIAN:
        return None
    return profile.practitioner


def orderable_patients(user) -> QuerySet:
    """Patients this user may place an order for (the portal's order form and upload, FHIR
    POST ServiceRequest): none without `clinical.add_order`; otherwise the patients whose
    record they may see and, for a referring physician, the patients they referred before.
    Merged-away records are left out: orders go to the surviving record."""
    if not user.has_perm("clinical.add_order"):
        return Patient.objects.none()
    visible = Q(pk__in=Patient.objects.restrict(user, "view").values("pk"))
    practitioner = ordering_practitioner(user)
    if practitioner is not None:
        referred = Order.objects.filter(ordering_practitioner=practitioner).values("patient")
        visible |= Q(pk__in=referred)
    return Patient.objects.filter(visible, merged_into__isnull=True)
