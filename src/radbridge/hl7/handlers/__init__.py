"""Message handlers: one module per message family, each mapping segments to clinical verbs.

`HANDLERS` is the router's table: (message code, trigger event) → handler. A handler
returns a one-line summary for the journal and raises HL7Error (with segment and field)
or ClinicalRuleError when the message cannot be applied.

Each family also has a pure `extract(message)` that reads the segments into clinical data
values (`PatientData`, `OrderCommand`, `ReportCommand`, `AppointmentData`, `DocumentData`)
and stores nothing; `EXTRACTORS` lists them per message so other mappings (the FHIR
converter) read a message exactly as ingest does.
"""

from . import appointments, documents, orders, patients, reports

HANDLERS = {
    **{
        ("ADT", trigger): patients.register
        for trigger in ("A01", "A04", "A05", "A08", "A28", "A31")
    },
    ("ADT", "A40"): patients.merge,
    ("ADT", "A47"): patients.change_identifier,
    ("ORM", "O01"): orders.handle,
    ("OMI", "O23"): orders.handle,
    ("OMG", "O19"): orders.handle,
    ("ORU", "R01"): reports.handle,
    **{
        ("SIU", trigger): appointments.handle
        for trigger in ("S12", "S13", "S14", "S15", "S17", "S26")
    },
    ("MDM", "T02"): documents.handle,
    ("MDM", "T10"): documents.handle,
}


def _one(extract):
    return lambda message: [extract(message)]


def _merge_survivors(message):
    return [survivor for survivor, _ in patients.extract_merges(message)]


_EXTRACTOR_OF_HANDLER = {
    patients.register: _one(patients.extract),
    patients.merge: _merge_survivors,
    patients.change_identifier: _one(patients.extract),
    orders.handle: orders.extract,
    reports.handle: reports.extract,
    appointments.handle: _one(appointments.extract),
    documents.handle: _one(documents.extract),
}
EXTRACTORS = {key: _EXTRACTOR_OF_HANDLER[handler] for key, handler in HANDLERS.items()}
