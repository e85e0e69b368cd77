"""The people and places orders name: XCN → Practitioner, PV1-3/AIL → Location,
Organization. None of these hold PHI."""

from __future__ import annotations

from ..identifiers import LOCATION_SYSTEM, ORGANIZATION_SYSTEM, authority_system, identifier
from .common import meta, reference, resource
from .patient import human_name

ORGANIZATION_TYPES = {
    "site": ("prov", "Healthcare Provider"),
    "clinic": ("prov", "Healthcare Provider"),
    "other": ("other", "Other"),
}
ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"


def practitioner_identifiers(record) -> list[dict]:
    # Doctors a sender named without an ID are keyed "name:..." here: not an identifier.
    if not record.identifier or record.identifier.startswith("name:"):
        return []
    return [identifier(record.identifier, authority_system(record.assigning_authority))]


def practitioner(record, *, resource_id: object = None, last_updated=None) -> dict:
    """`record` has PractitionerData's attributes (stored or not)."""
    points = []
    if getattr(record, "phone", ""):
        points.append({"system": "phone", "value": record.phone})
    if getattr(record, "email", ""):
        points.append({"system": "email", "value": record.email})
    return resource(
        "Practitioner",
        resource_id,
        meta=meta(last_updated),
        identifier=practitioner_identifiers(record),
        name=human_name(record, "prefix", "suffix"),
        telecom=points,
    )


def location(
    code: str,
    name: str = "",
    *,
    resource_id: object = None,
    last_updated=None,
    organization: str | None = None,
) -> dict:
    return resource(
        "Location",
        resource_id,
        meta=meta(last_updated),
        identifier=[identifier(code, LOCATION_SYSTEM)] if code else None,
        status="active",
        name=name or code,
        managingOrganization=reference(organization),
    )


def organization(record, *, resource_id: object = None, last_updated=None) -> dict:
    code, display = ORGANIZATION_TYPES.get(record.kind, ORGANIZATION_TYPES["other"])
    return resource(
        "Organization",
        resource_id,
        meta=meta(last_updated),
        identifier=[identifier(record.identifier, ORGANIZATION_SYSTEM)],
        active=True,
        type=[{"coding": [{"system": ORGANIZATION_TYPE_SYSTEM, "code": code, "display": display}]}],
        name=record.name,
    )
