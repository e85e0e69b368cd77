"""API tokens of integration accounts: scoped per resource type (read/write), expiring,
revocable, stored hashed. The FHIR and DICOMweb apps check scopes with `allows()`.

A scope names a resource type (or `*`) and an access: the short form `Patient.read`, or
SMART on FHIR's `system/Patient.read`, `patient/*.read`, `user/*.*` (v1) and `.rs`/`.cruds`
(v2 letters). The `patient/`, `user/`, `system/` context narrows nothing by itself: which
patient a token stands for is the token's `patient`, applied by the permission rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from radbridge.clinical.models import Patient
from radbridge.core import audit

from ..choices import Role
from ..models import ApiToken
from ..permissions import role_of
from ..secrets import digest, new_token
from .errors import AccountsError

SCOPE = re.compile(r"^(?:(?:patient|user|system)/)?(\*|[A-Z][A-Za-z]+)\.(read|write|\*|[cruds]+)$")
V2_LETTERS = {"read": set("rs"), "write": set("cud")}
MAX_DAYS = 730


def parse_scopes(text: str | list[str]) -> list[str]:
    """'Patient.read, DiagnosticReport.write' -> ['DiagnosticReport.write', 'Patient.read']."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    bad = [item for item in items if not SCOPE.match(item)]
    if bad or not items:
        raise AccountsError(
            f"invalid scope {', '.join(bad) or '(none)'}: write ResourceType.read or "
            "ResourceType.write (e.g. Patient.read, *.read, ServiceRequest.write, or SMART's "
            "system/Patient.read)",
            "scopes",
        )
    return sorted(set(items))


def scope_allows(scope: str, resource_type: str, access: str) -> bool:
    """access: "read" or "write"; write does not imply read."""
    match = SCOPE.match(scope.strip())
    if match is None:
        return False
    scoped_type, permission = match.groups()
    if scoped_type not in ("*", resource_type):
        return False
    if permission in ("*", access):
        return True
    return permission not in ("read", "write") and bool(set(permission) & V2_LETTERS[access])


@dataclass(frozen=True)
class Scopes:
    granted: frozenset[str]

    def allows(self, resource_type: str, access: str) -> bool:
        return any(scope_allows(scope, resource_type, access) for scope in self.granted)


@transaction.atomic
def create_token(
    user, name: str, scopes, days: int = 90, patient: Patient | None = None
) -> tuple[ApiToken, str]:
    """Returns the token row and the clear token (shown once). Audited as api_token.created."""
    if role_of(user) not in (Role.INTEGRATION, Role.PATIENT):
        raise AccountsError(
            f"{user} is not an integration account: API tokens are for integration accounts "
            "(and patient apps limited to one patient)",
            "user",
        )
    if role_of(user) == Role.PATIENT:
        if patient is None or patient.pk != user.profile.patient_id:
            raise AccountsError("a patient's token is limited to their own record", "patient")
    if not 1 <= days <= MAX_DAYS:
        raise AccountsError(f"a token lasts 1 to {MAX_DAYS} days", "days")
    scopes = parse_scopes(scopes)
    clear = new_token("rbt")
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=digest(clear), prefix=clear[:10], scopes=scopes,
        patient=patient, expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        "api_token.created", "api_token", token.pk, patient_id=patient.pk if patient else None,
        user=user.get_username(), scopes=scopes, days=days,
    )
    return token, clear


@transaction.atomic
def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record("api_token.revoked", "api_token", token.pk, user=token.user.get_username())


def authenticate(clear: str) -> ApiToken | None:
    """The active token for a bearer value, its user active too; None otherwise."""
    token = ApiToken.objects.select_related("user").filter(token_hash=digest(clear)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        # Once a minute is enough to show operators which tokens are in use.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
