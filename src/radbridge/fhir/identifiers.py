"""Identifier systems: how RadBridge names assigning authorities and its own numbers in FHIR.

An HL7 v2 identifier (CX) carries its assigning authority as a short namespace (`MERCY`,
`ADT1`); FHIR wants a URI in `Identifier.system`. An authority configured in
RADBRIDGE_FHIR_AUTHORITY_SYSTEMS (`MERCY=urn:oid:1.2.840.1,ADT1=https://adt.example/mrn`)
gets its configured URI; any other becomes `urn:radbridge:authority:<name>` (the name
percent-encoded). An identifier without an authority has no system. The reverse mapping
reads any of these back, and an unknown URI is kept whole as the authority, so what a client
sends is what it finds again. Numbers RadBridge itself keys orders and appointments by have
fixed systems below (the accession system is configurable).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from django.conf import settings

AUTHORITY_PREFIX = "urn:radbridge:authority:"
PLACER_ORDER_SYSTEM = "urn:radbridge:placer-order"
FILLER_ORDER_SYSTEM = "urn:radbridge:filler-order"
APPOINTMENT_SYSTEM = "urn:radbridge:appointment"
PLACER_APPOINTMENT_SYSTEM = "urn:radbridge:placer-appointment"
LOCATION_SYSTEM = "urn:radbridge:location"
ORGANIZATION_SYSTEM = "urn:radbridge:organization"
DICOM_UID_SYSTEM = "urn:dicom:uid"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def accession_system() -> str:
    return settings.FHIR_ACCESSION_SYSTEM


def authority_system(authority: str) -> str | None:
    if not authority:
        return None
    configured = settings.FHIR_AUTHORITY_SYSTEMS.get(authority)
    return configured or AUTHORITY_PREFIX + quote(authority, safe="")


def authority_of(system: str | None) -> str:
    """The assigning authority a system URI stands for ("" for no system)."""
    if not system:
        return ""
    for authority, uri in settings.FHIR_AUTHORITY_SYSTEMS.items():
        if uri == system:
            return authority
    if system.startswith(AUTHORITY_PREFIX):
        return unquote(system[len(AUTHORITY_PREFIX) :])
    return system


def identifier(value: str, system: str | None = None, type_code: str = "", use: str = "") -> dict:
    found: dict = {}
    if use:
        found["use"] = use
    if type_code:
        found["type"] = {"coding": [{"system": V2_0203, "code": type_code}]}
    if system:
        found["system"] = system
    found["value"] = value
    return found
