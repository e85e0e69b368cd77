"""HL7 v2 → FHIR Bundle, without storing anything: `POST /fhir/$convert-hl7v2` and
`radbridge hl7 to-fhir FILE`.

A message is decoded and parsed by the hl7 wire layer and read into clinical data values by
the same `extract` functions ingest uses (`hl7.handlers.EXTRACTORS`), then mapped by the same
mapping modules the REST API uses. The answer is a transaction Bundle: each entry a POST
with `ifNoneExist` on its business identifier, references between entries by `urn:uuid`, so
an integration team can load it into any FHIR server as is. A batch file gives one Bundle
for all its messages; what the mapping had to skip is returned as warnings (the HTTP header
`X-RadBridge-Warning`, or stderr for the command).
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings

from radbridge.clinical.data import AppointmentData, DocumentData, PatientData, PractitionerData
from radbridge.hl7.handlers import EXTRACTORS
from radbridge.hl7.handlers.fields import collected_warnings
from radbridge.hl7.handlers.orders import OrderCommand, order_status
from radbridge.hl7.handlers.reports import ReportCommand
from radbridge.hl7.wire import HL7Error, decode_message, parse_message, split_batch

from .api import fhir_endpoint
from .identifiers import accession_system, authority_system
from .mapping import appointment, diagnostic_report, directory, patient, service_request
from .outcomes import FHIRError, Reply
from .parsing import parameters_text


class BundleBuilder:
    """Entries keyed by business identity, so a patient named twice is one entry."""

    def __init__(self):
        self.entries: list[dict] = []
        self.keys: dict[tuple, str] = {}

    def add(self, key: tuple, resource: dict, if_none_exist: str | None) -> str:
        if key in self.keys:
            return self.keys[key]
        full_url = f"urn:uuid:{uuid.uuid4()}"
        request = {"method": "POST", "url": resource["resourceType"]}
        if if_none_exist:
            request["ifNoneExist"] = if_none_exist
        self.entries.append({"fullUrl": full_url, "resource": resource, "request": request})
        self.keys[key] = full_url
        return full_url

    def patient(self, data: PatientData | None) -> str | None:
        if data is None or not data.identifiers:
            return None
        first = data.identifiers[0]
        system = authority_system(first.assigning_authority)
        search = f"identifier={system}|{first.value}" if system else f"identifier={first.value}"
        key = ("Patient", first.value, first.assigning_authority)
        return self.add(key, patient.patient(data, data.identifiers), search)

    def practitioner(self, data: PractitionerData | None) -> str | None:
        if data is None:
            return None
        system = authority_system(data.assigning_authority)
        search = None
        if data.identifier:
            search = f"identifier={system}|{data.identifier}" if system else None
            search = search or f"identifier={data.identifier}"
        key = ("Practitioner", data.identifier or data.family_name, data.assigning_authority)
        return self.add(key, directory.practitioner(data), search)

    def location(self, code: str, name: str) -> str | None:
        if not code:
            return None
        return self.add(("Location", code), directory.location(code, name), None)

    def service_request(self, order, status: str) -> str:
        subject = self.patient(order.patient)
        resource = service_request.service_request(
            order,
            status=status,
            subject=subject,
            requester=self.practitioner(order.ordering_practitioner),
            location=self.location(order.location_code, order.location_name),
        )
        search = f"identifier={accession_system()}|{order.accession_number}"
        return self.add(("ServiceRequest", order.accession_number), resource, search)

    def order(self, command: OrderCommand) -> None:
        if command.cancel:
            status = "revoked"
        else:
            ours = order_status(command.status_code) if command.status_code else None
            status = service_request.STATUS.get(ours or "scheduled", "active")
        self.service_request(command.data, status)

    def report(self, command: ReportCommand) -> None:
        report = command.report
        final = report is not None and report.status in ("final", "corrected")
        based_on = self.service_request(command.order, "completed" if final else "active")
        if report is None:
            return
        order = command.order
        resource = diagnostic_report.diagnostic_report(
            order,
            report,
            subject=self.patient(order.patient),
            issued=report.signed_at,
            based_on=based_on,
            interpreter=self.practitioner(report.radiologist),
            imaging_studies=list(
                filter(None, [diagnostic_report.study_reference_by_uid(order.study_instance_uid)])
            ),
        )
        search = f"identifier={accession_system()}|{order.accession_number}"
        self.add(("DiagnosticReport", order.accession_number, report.status), resource, search)

    def appointment(self, data: AppointmentData) -> None:
        resource = appointment.appointment(
            data,
            patient=self.patient(data.patient),
            practitioner=self.practitioner(data.practitioner),
            location=self.location(data.location_code, data.location_name),
        )
        search = f"identifier={resource['identifier'][0]['system']}|{data.external_id}"
        self.add(("Appointment", data.external_id), resource, search)

    def item(self, item) -> None:
        if isinstance(item, PatientData):
            self.patient(item)
        elif isinstance(item, OrderCommand):
            self.order(item)
        elif isinstance(item, ReportCommand):
            self.report(item)
        elif isinstance(item, AppointmentData):
            self.appointment(item)
        elif isinstance(item, DocumentData):
            self.patient(item.patient)  # documents have no FHIR mapping here yet

    def bundle(self) -> dict:
        return {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}


def convert_bytes(raw: bytes) -> tuple[dict, list[str]]:
    """The Bundle for one message or a batch, and the warnings; raises HL7Error."""
    decoded = decode_message(raw)
    warnings = list(decoded.warnings)
    batch = split_batch(decoded.text)
    if not batch.messages:
        raise HL7Error("no MSH segment found: the input is not an HL7 v2 message", segment="MSH")
    warnings += [
        f"line {number} is not a segment and was ignored" for number, _ in batch.ignored_lines
    ]
    builder = BundleBuilder()
    collected_warnings()  # start clean: extract functions note what they skip
    for text in batch.messages:
        message = parse_message(text)
        extract = EXTRACTORS.get((message.message_code, message.trigger_event))
        if extract is None:
            raise HL7Error(
                f"{message.message_type} is not a message RadBridge maps (MSH-9): see the "
                "README's HL7 table for those it does",
                segment="MSH",
                field=9,
                code="200",
            )
        for item in extract(message):
            builder.item(item)
        if message.message_code == "MDM":
            warnings.append(f"{message.control_id}: the MDM document itself is not mapped")
    warnings += collected_warnings()
    return builder.bundle(), warnings


def message_to_bundle_text(raw: bytes) -> tuple[str, list[str]]:
    """For `radbridge hl7 to-fhir`: the Bundle as indented JSON, and the warnings."""
    bundle, warnings = convert_bytes(raw)
    return json.dumps(bundle, indent=2, ensure_ascii=False), warnings


@fhir_endpoint("POST")
def convert_endpoint(request):
    if len(request.body) > settings.HL7_MAX_MESSAGE_BYTES:
        raise FHIRError(
            413,
            "too-costly",
            f"the message is larger than {settings.HL7_MAX_MESSAGE_BYTES} bytes",
        )
    raw = request.body
    if (request.content_type or "").endswith("json"):
        raw = parameters_text(raw).encode("utf-8")
    try:
        bundle, warnings = convert_bytes(raw)
    except HL7Error as error:
        raise FHIRError(
            422, "processing", f"the HL7 v2 message cannot be converted: {error}"
        ) from None
    headers = {"X-RadBridge-Warning": " | ".join(warnings)[:4000]} if warnings else {}
    return Reply(bundle, headers=headers)
