"""POST Patient and POST ServiceRequest: FHIR resources in, clinical services called.

The body is checked in three steps, each answering with an OperationOutcome that names the
element at fault: JSON that does not parse, or is not the resource type of the URL, is 400;
a resource that breaks FHIR's structure (checked with the fhir.resources R4B models) is 400;
one that is valid FHIR but breaks a rule of ours (no identifier, unknown subject, no code)
is 422. The verbs are `clinical.services.register_patient` and `place_order`, so an order
placed here is an `order.placed` event like a portal order, sent on to the RIS as ORM^O01
by the hl7 app. Creating needs the Django permission `clinical.add_patient` /
`clinical.add_order` (granted by roles, see accounts.backends) and a write scope; a referring
physician orders in their own name; an existing record (same identifier or accession)
is updated only when the caller may change it (then 200), and is a 409 conflict otherwise.
"""

from __future__ import annotations

import json
import secrets

from django.db import transaction

from radbridge.accounts.permissions import orderable_patients, ordering_practitioner
from radbridge.clinical import services
from radbridge.clinical.data import IdentifierData, OrderData, PatientData, PractitionerData
from radbridge.clinical.errors import ClinicalRuleError
from radbridge.clinical.models import Location, Order, Patient, Practitioner

from . import bundles
from .bookings import create_appointment
from .identifiers import PLACER_ORDER_SYSTEM, V2_0203, accession_system, authority_of
from .mapping.common import CODE_SYSTEMS, coding_system_name
from .mapping.patient import SEX_OF_GENDER
from .outcomes import FHIRError, Reply
from .parsing import parse_fhir_date, parse_fhir_datetime, validate_structure

RULE_ELEMENTS = {
    "patient.identifiers": "Patient.identifier",
    "order.accession": "ServiceRequest.identifier",
    "order.patient": "ServiceRequest.subject",
    "order.procedure": "ServiceRequest.code",
}
PRIORITIES = {"routine", "urgent", "asap", "stat"}


def unprocessable(expression: str, text: str, status: int = 422) -> FHIRError:
    return FHIRError(status, "processing" if status == 422 else "conflict", text, expression)


def read_body(request, type_name: str) -> dict:
    content_type = request.content_type or ""
    if content_type not in ("application/fhir+json", "application/json"):
        raise FHIRError(
            415,
            "not-supported",
            f"Content-Type {content_type or '(none)'!r} is not accepted: send the resource as "
            "application/fhir+json",
        )
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FHIRError(400, "structure", f"the body is not JSON: {error}") from None
    if not isinstance(body, dict) or body.get("resourceType") != type_name:
        found = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise FHIRError(
            400,
            "invalid",
            f"the body must be a {type_name} resource (resourceType {found!r} was sent)",
            f"{type_name}.resourceType",
        )
    validate_structure(body)
    return body


def create(request, spec):
    body = read_body(request, spec.name)
    creators = {
        "Patient": create_patient,
        "ServiceRequest": create_service_request,
        "Appointment": create_appointment,
    }
    try:
        with transaction.atomic():
            row, created = creators[spec.name](request.user, body)
    except ClinicalRuleError as error:
        raise unprocessable(RULE_ELEMENTS.get(error.field, spec.name), str(error)) from None
    resource = spec.to_fhir(spec.rows().get(pk=row.pk))
    location = f"{bundles.base_url(request)}/{spec.name}/{row.pk}"
    return Reply(resource, 201 if created else 200, {"Location": location})


def require_permission(user, codename: str, type_name: str) -> None:
    if not user.has_perm(f"clinical.{codename}"):
        raise FHIRError(
            403, "forbidden", f"your account may not create {type_name} resources ({codename})"
        )


# --- Patient ----------------------------------------------------------------------------


def patient_identifiers(body: dict) -> list[IdentifierData]:
    found = []
    for number, item in enumerate(body.get("identifier") or []):
        where = f"Patient.identifier[{number}]"
        if not item.get("value"):
            raise unprocessable(f"{where}.value", "every identifier needs a value")
        authority = authority_of(item.get("system"))
        if len(authority) > 100 or len(item["value"]) > 100:
            raise unprocessable(where, "identifier system and value are limited to 100 characters")
        codings = (item.get("type") or {}).get("coding") or []
        type_code = next((c.get("code", "") for c in codings if c.get("system") == V2_0203), "")
        found.append(IdentifierData(item["value"], authority, type_code[:20]))
    if not found:
        raise unprocessable(
            "Patient.identifier",
            "a patient needs at least one identifier (system and value), so that its records "
            "can be matched",
        )
    return found


def patient_data(body: dict) -> PatientData:
    name = (body.get("name") or [{}])[0]
    given = name.get("given") or []
    address = (body.get("address") or [{}])[0]
    telecom = body.get("telecom") or []
    birth = body.get("birthDate")
    return PatientData(
        identifiers=patient_identifiers(body),
        family_name=(name.get("family") or "")[:100],
        given_name=(given[0] if given else "")[:100],
        middle_name=" ".join(given[1:])[:100],
        name_prefix=" ".join(name.get("prefix") or [])[:30],
        name_suffix=" ".join(name.get("suffix") or [])[:30],
        birth_date=parse_fhir_date(birth, "Patient.birthDate") if birth else None,
        sex=SEX_OF_GENDER.get(body.get("gender", ""), ""),
        phones=[t["value"] for t in telecom if t.get("system") == "phone" and t.get("value")],
        email=next((t["value"] for t in telecom if t.get("system") == "email"), "")[:200],
        address_line=" ".join(address.get("line") or [])[:200],
        address_city=(address.get("city") or "")[:100],
        address_state=(address.get("state") or "")[:100],
        address_postal_code=(address.get("postalCode") or "")[:30],
        address_country=(address.get("country") or "")[:60],
    )


def create_patient(user, body: dict) -> tuple[Patient, bool]:
    require_permission(user, "add_patient", "Patient")
    data = patient_data(body)
    existing = services.find_patient(data.identifiers)
    if existing is not None and not (
        Patient.objects.restrict(user, "change").filter(pk=existing.pk).exists()
    ):
        raise unprocessable(
            "Patient.identifier",
            "this identifier already belongs to a patient record you may not change",
            status=409,
        )
    return services.register_patient(data), existing is None


# --- ServiceRequest ---------------------------------------------------------------------


def referenced(body: dict, element: str, model, type_name: str, rows=None):
    """The stored row a `Type/id` reference names, or 422 naming the element."""
    target = body.get(element)
    reference = target.get("reference", "") if isinstance(target, dict) else ""
    kind, _, key = reference.rpartition("/")
    if kind.rsplit("/", 1)[-1] != type_name or not key.isdigit():
        raise unprocessable(
            f"ServiceRequest.{element}", f"{element} must be a reference to {type_name}/<id>"
        )
    row = (rows if rows is not None else model.objects.all()).filter(pk=int(key)).first()
    if row is None:
        raise unprocessable(
            f"ServiceRequest.{element}",
            f"{reference} is not known here (or not visible to you)",
        )
    return row


def order_numbers(body: dict) -> tuple[str, str]:
    """(accession number, placer order number) from ServiceRequest.identifier."""
    accession, placer = "", ""
    for number, item in enumerate(body.get("identifier") or []):
        value = item.get("value") or ""
        if len(value) > 64:
            raise unprocessable(
                f"ServiceRequest.identifier[{number}].value", "identifiers are at most 64 long"
            )
        if item.get("system") == accession_system():
            accession = accession or value
        elif item.get("system") == PLACER_ORDER_SYSTEM or not placer:
            placer = value
    return accession, placer


def order_data(user, body: dict) -> OrderData:
    for element, allowed in (("status", {"active"}), ("intent", {"order", "original-order"})):
        if body.get(element) not in allowed:
            raise unprocessable(
                f"ServiceRequest.{element}",
                f"{element} must be {' or '.join(sorted(allowed))} to place an order",
            )
    patient = referenced(body, "subject", Patient, "Patient", orderable_patients(user))
    code = body.get("code") or {}
    coding = (code.get("coding") or [{}])[0]
    if not (coding.get("code") or code.get("text")):
        raise unprocessable("ServiceRequest.code", "the requested procedure (code) is missing")
    accession, placer = order_numbers(body)
    details = [c for d in body.get("orderDetail") or [] for c in d.get("coding") or []]
    modality = next((c["code"] for c in details if c.get("system") == CODE_SYSTEMS["DCM"]), "")
    reason = (body.get("reasonCode") or [{}])[0]
    occurrence = body.get("occurrenceDateTime")
    priority = body.get("priority") or ""
    if priority and priority not in PRIORITIES:
        raise unprocessable("ServiceRequest.priority", f"unknown priority {priority!r}")
    return OrderData(
        accession_number=accession or f"RB{secrets.token_hex(6).upper()}",
        patient=PatientData(
            [
                IdentifierData(i.value, i.assigning_authority, i.type_code)
                for i in patient.identifiers.all()
            ]
        ),
        placer_order_number=placer[:100],
        procedure_code=(coding.get("code") or "")[:100],
        procedure_text=(coding.get("display") or code.get("text") or "")[:300],
        procedure_coding_system=coding_system_name(coding.get("system"))[:50],
        modality=modality[:16],
        priority=priority,
        scheduled_at=(
            parse_fhir_datetime(occurrence, "ServiceRequest.occurrenceDateTime")
            if occurrence
            else None
        ),
        reason=reason.get("text") or ((reason.get("coding") or [{}])[0].get("display") or ""),
        ordering_practitioner=requester(user, body),
        **location_of(body),
    )


def requester(user, body: dict) -> PractitionerData | None:
    """The named requester; a referring physician orders in their own name only."""
    own = ordering_practitioner(user)
    if not body.get("requester"):
        doctor = own
    else:
        doctor = referenced(body, "requester", Practitioner, "Practitioner")
        if own is not None and doctor.pk != own.pk:
            raise unprocessable(
                "ServiceRequest.requester",
                f"you order in your own name: leave requester out or use Practitioner/{own.pk}",
            )
    if doctor is None:
        return None
    return PractitionerData(
        doctor.identifier, doctor.assigning_authority, doctor.family_name, doctor.given_name
    )


def location_of(body: dict) -> dict:
    places = body.get("locationReference") or []
    if not places:
        return {}
    place = referenced({"locationReference": places[0]}, "locationReference", Location, "Location")
    return {"location_code": place.code, "location_name": place.name}


def create_service_request(user, body: dict) -> tuple[Order, bool]:
    require_permission(user, "add_order", "ServiceRequest")
    data = order_data(user, body)
    existing = Order.objects.filter(accession_number=data.accession_number).first()
    if existing is not None and not (
        Order.objects.restrict(user, "change").filter(pk=existing.pk).exists()
    ):
        raise unprocessable(
            "ServiceRequest.identifier",
            f"accession number {data.accession_number!r} belongs to an order you may not change",
            status=409,
        )
    return services.place_order(data), existing is None
