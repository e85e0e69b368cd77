"""Small FHIR datatypes shared by the resource mappings: dates, codes, references, meta."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

# HL7 v2 coding-system names (table 0396) as FHIR code system URIs.
CODE_SYSTEMS = {
    "LN": "http://loinc.org",
    "LOINC": "http://loinc.org",
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "C4": "http://www.ama-assn.org/go/cpt",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "DCM": "http://dicom.nema.org/resources/ontology/DCM",
    "RADLEX": "http://www.radlex.org",
    "RID": "http://www.radlex.org",
}
LOCAL_CODE_SYSTEM = "urn:radbridge:codesystem:"


def code_system(name: str) -> str | None:
    """A v2 coding system name to a URI; a local name becomes `urn:radbridge:codesystem:<name>`."""
    if not name:
        return None
    return CODE_SYSTEMS.get(name.upper()) or LOCAL_CODE_SYSTEM + name


def coding_system_name(uri: str | None) -> str:
    """The reverse of `code_system`, for codes sent to us."""
    if not uri:
        return ""
    if uri.startswith(LOCAL_CODE_SYSTEM):
        return uri[len(LOCAL_CODE_SYSTEM) :]
    for name, known in CODE_SYSTEMS.items():
        if known == uri:
            return name
    return uri


def codeable(code: str, display: str = "", system: str | None = None) -> dict | None:
    if not (code or display):
        return None
    concept: dict = {}
    if code:
        coding = {"code": code}
        if system:
            coding["system"] = system
        if display:
            coding["display"] = display
        concept["coding"] = [coding]
    if display:
        concept["text"] = display
    return concept


def instant(moment: datetime | None) -> str | None:
    """An aware datetime as a FHIR instant/dateTime (UTC offsets kept)."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.isoformat(timespec="seconds" if not moment.microsecond else "milliseconds")


def fhir_date(day: date | None) -> str | None:
    return day.isoformat() if day else None


def reference(target: str | None, display: str = "") -> dict | None:
    if not target:
        return None
    found = {"reference": target}
    if display:
        found["display"] = display
    return found


def meta(last_updated: datetime | None, version_id: object = None) -> dict | None:
    found = {}
    if version_id is not None:
        found["versionId"] = str(version_id)
    if last_updated is not None:
        found["lastUpdated"] = instant(last_updated)
    return found or None


def resource(resource_type: str, resource_id: object = None, **elements) -> dict:
    """A resource dict with its elements in the order given, empty ones left out."""
    found: dict = {"resourceType": resource_type}
    if resource_id is not None:
        found["id"] = str(resource_id)
    for name, value in elements.items():
        if value not in (None, "", [], {}):
            found[name] = value
    return found
