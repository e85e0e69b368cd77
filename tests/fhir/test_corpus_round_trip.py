"""Round trip: every corpus message that carries a patient, order, report or appointment,
sent through the real HL7 ingest, is visible through the FHIR API with the identifiers,
names, dates and status the message gave. The expectations are read from the message with
python-hl7, not with RadBridge's own parser, so the test checks the whole path."""

import hl7
import pytest

from radbridge.hl7.wire import decode_message, split_batch
from tests.fhir.conftest import ingest, validate
from tests.fhir.test_convert import CONVERTIBLE

pytestmark = pytest.mark.django_db

REPORT_STATUS = {
    "P": "preliminary",
    "R": "preliminary",
    "A": "preliminary",
    "F": "final",
    "C": "corrected",
    "X": "cancelled",
    "D": "cancelled",
}
CANCEL_CONTROLS = {"CA", "DC", "OC", "CR", "OD", "DR"}
APPOINTMENT_STATUS = {"S15": "cancelled", "S17": "cancelled", "S26": "noshow"}


def value(segment, field: int, component: int = 1, subcomponent: int = 1) -> str:
    """python-hl7's reading of one leaf (first repetition); "" when absent."""
    if segment is None:
        return ""
    try:
        return str(segment.extract_field(1, field, 1, component, subcomponent) or "")
    except IndexError:
        return ""


def messages(path):
    decoded = decode_message(path.read_bytes())
    return [hl7.parse(text) for text in split_batch(decoded.text).messages]


def only(api, type_name, **params):
    status, bundle, _ = api.get(type_name, params)
    assert status == 200, bundle
    validate(bundle)
    matches = [e["resource"] for e in bundle.get("entry", [])]
    assert len(matches) == 1, (type_name, params, len(matches))
    return matches[0]


def hl7_date(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}"


def check_patient(api, message):
    pid = message.segment("PID")
    for field in (3, 2, 4):
        identifier = value(pid, field)
        if identifier:
            break
    authority = value(pid, field, 4) or value(pid, field, 4, 2)
    system = f"urn:radbridge:authority:{authority}|" if authority else ""
    patient = only(api, "Patient", identifier=f"{system}{identifier}")
    family = value(pid, 5, 1)
    if family:
        assert patient["name"][0]["family"] == family
    if value(pid, 5, 2):
        assert patient["name"][0]["given"][0] == value(pid, 5, 2)
    if len(value(pid, 7)) >= 8:
        assert patient["birthDate"] == hl7_date(value(pid, 7))
    return patient


def accession_of(message, obr, orc):
    ipc = next(iter(message.segments("IPC")), None) if "IPC" in str(message) else None
    candidates = [value(ipc, 1)] if ipc is not None else []
    candidates += [value(obr, 18), value(obr, 3), value(obr, 2)]
    if orc is not None:
        candidates += [value(orc, 3), value(orc, 2)]
    return next(c for c in candidates if c)


def order_groups(message):
    """(ORC or None, OBR) pairs in message order."""
    orc, groups = None, []
    for segment in message:
        name = str(segment(0))
        if name == "ORC":
            orc = segment
        elif name == "OBR":
            groups.append((orc, segment))
    return groups


def check_orders(api, message, patient):
    for orc, obr in order_groups(message):
        accession = accession_of(message, obr, orc)
        order = only(api, "ServiceRequest", identifier=accession)
        assert order["subject"]["reference"] == f"Patient/{patient['id']}"
        control = value(orc, 1) if orc is not None else "NW"
        expected = "revoked" if control in CANCEL_CONTROLS else ("active", "completed")
        assert order["status"] in expected


def check_reports(api, message, patient):
    for orc, obr in order_groups(message):
        accession = accession_of(message, obr, orc)
        code = value(obr, 25)
        if code in ("O", "I", "S"):
            continue
        if code not in REPORT_STATUS:
            obx = next((s for s in message.segments("OBX") if value(s, 11)), None)
            code = value(obx, 11) if obx is not None else ""
        report = only(api, "DiagnosticReport", identifier=accession)
        assert report["subject"]["reference"] == f"Patient/{patient['id']}"
        assert report["status"] == REPORT_STATUS[code]
        if len(value(obr, 22)) >= 8:
            assert report["issued"][:10] == hl7_date(value(obr, 22))


def check_appointment(api, message, patient):
    sch = message.segment("SCH")
    appointment = only(api, "Appointment", identifier=value(sch, 2) or value(sch, 1))
    trigger = value(message.segment("MSH"), 9, 2)
    assert appointment["status"] == APPOINTMENT_STATUS.get(trigger, "booked")
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert f"Patient/{patient['id']}" in actors


@pytest.mark.parametrize("path", CONVERTIBLE, ids=lambda p: p.name)
def test_corpus_message_is_visible_through_the_api(staff_api, path):
    ingest(path.read_bytes())
    for message in messages(path):
        kind = value(message.segment("MSH"), 9, 1)
        patient = check_patient(staff_api, message)
        if kind in ("ORM", "OMI", "OMG"):
            check_orders(staff_api, message, patient)
        elif kind == "ORU":
            check_reports(staff_api, message, patient)
        elif kind == "SIU":
            check_appointment(staff_api, message, patient)
