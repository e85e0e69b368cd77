"""Message handlers: one module per message family, each mapping segments to clinical verbs.

`HANDLERS` is the router's table: (message code, trigger event) → handler. A handler
returns a one-line summary for the journal and raises HL7Error (with segment and field)
or ClinicalRuleError when the message cannot be applied.
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
