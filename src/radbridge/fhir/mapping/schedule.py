"""Schedule and Slot: the scheduling app's resources and its computed slots.

A Schedule's actor is the room (Location) its scanner stands in; its serviceType lists the
procedure codes it performs (none: any of its modality, given as the modality). A Slot has a
stable id made of the schedule and its UTC start, status free or busy (never who holds it).
"""

from __future__ import annotations

from ..identifiers import identifier
from .common import codeable, instant, meta, reference, resource

SCHEDULE_SYSTEM = "urn:radbridge:schedule"
DICOM_MODALITY = "http://dicom.nema.org/resources/ontology/DCM"


def service_types(schedule) -> list[dict]:
    if schedule.procedure_codes:
        return [codeable(code) for code in schedule.procedure_codes]
    return [codeable(schedule.modality, schedule.modality, DICOM_MODALITY)]


def schedule_resource(schedule) -> dict:
    return resource(
        "Schedule",
        schedule.pk,
        meta=meta(schedule.updated_at),
        identifier=[identifier(schedule.code, SCHEDULE_SYSTEM)],
        active=schedule.active,
        serviceType=service_types(schedule),
        actor=[reference(f"Location/{schedule.location_id}", str(schedule.location))],
        comment=schedule.name,
    )


def slot_resource(slot) -> dict:
    return resource(
        "Slot",
        slot.key,
        schedule=reference(f"Schedule/{slot.schedule.pk}", slot.schedule.name),
        serviceType=service_types(slot.schedule),
        status="free" if slot.free else "busy",
        start=instant(slot.start),
        end=instant(slot.end),
    )
