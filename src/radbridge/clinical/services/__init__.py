"""The clinical record's verbs. Each runs in one transaction and emits its events inside it."""

from .appointments import book_appointment
from .documents import attach_document
from .orders import cancel_order, place_order, record_images_available, set_order_status
from .patients import (
    change_patient_identifier,
    find_patient,
    merge_patients,
    register_patient,
    upsert_location,
    upsert_practitioner,
)
from .reports import finalize_report
from .sites import place_location, save_site

__all__ = [
    "attach_document",
    "book_appointment",
    "cancel_order",
    "change_patient_identifier",
    "finalize_report",
    "find_patient",
    "merge_patients",
    "place_location",
    "place_order",
    "record_images_available",
    "register_patient",
    "save_site",
    "set_order_status",
    "upsert_location",
    "upsert_practitioner",
]
