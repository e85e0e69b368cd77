"""PID → Patient (V2-to-FHIR "PID[Patient]"): identifiers with their authorities, name,
birth date, gender, telecom, address; a merged record links to its survivor."""

from __future__ import annotations

from collections.abc import Iterable

from ..identifiers import authority_system, identifier
from .common import fhir_date, meta, reference, resource

GENDERS = {"F": "female", "M": "male", "O": "other", "U": "unknown"}
SEX_OF_GENDER = {gender: sex for sex, gender in GENDERS.items()}


def patient_identifiers(identifiers: Iterable) -> list[dict]:
    """CX → Identifier: value, system from the assigning authority, type (v2 table 0203)."""
    return [
        identifier(i.value, authority_system(i.assigning_authority), i.type_code)
        for i in identifiers
        if i.value
    ]


def human_name(record, prefix_field: str = "name_prefix", suffix_field: str = "name_suffix"):
    given = [part for part in (record.given_name, getattr(record, "middle_name", "")) if part]
    name = {}
    if record.family_name:
        name["family"] = record.family_name
    if given:
        name["given"] = given
    prefix, suffix = getattr(record, prefix_field, ""), getattr(record, suffix_field, "")
    if prefix:
        name["prefix"] = [prefix]
    if suffix:
        name["suffix"] = [suffix]
    return [name] if name else []


def address(record) -> list[dict]:
    parts = {
        "line": [record.address_line] if record.address_line else None,
        "city": record.address_city,
        "state": record.address_state,
        "postalCode": record.address_postal_code,
        "country": record.address_country,
    }
    found = {key: value for key, value in parts.items() if value}
    return [found] if found else []


def telecom(record) -> list[dict]:
    points = [{"system": "phone", "value": phone} for phone in record.phones or [] if phone]
    if record.email:
        points.append({"system": "email", "value": record.email})
    return points


def patient(
    record,
    identifiers: Iterable,
    *,
    resource_id: object = None,
    last_updated=None,
    replaced_by: str | None = None,
) -> dict:
    """`record` has PatientData's attributes (a stored Patient or an unstored PatientData)."""
    return resource(
        "Patient",
        resource_id,
        meta=meta(last_updated),
        identifier=patient_identifiers(identifiers),
        active=replaced_by is None,
        name=human_name(record),
        telecom=telecom(record),
        gender=GENDERS.get(record.sex),
        birthDate=fhir_date(record.birth_date),
        address=address(record),
        link=[{"other": reference(replaced_by), "type": "replaced-by"}] if replaced_by else None,
    )
