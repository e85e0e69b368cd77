"""Patients, practitioners and locations: find-or-create by identifier, update, merge."""

from __future__ import annotations

from django.db import transaction

from ..data import IdentifierData, PatientData, PractitionerData
from ..errors import ClinicalRuleError
from ..models import Location, Patient, PatientIdentifier, Practitioner
from .events import announce

# Demographic fields copied from PatientData when the sender gives a value. An empty value
# never erases what we know: many senders omit fields they do not own.
PATIENT_FIELDS = (
    "family_name",
    "given_name",
    "middle_name",
    "name_prefix",
    "name_suffix",
    "birth_date",
    "sex",
    "phones",
    "email",
    "address_line",
    "address_city",
    "address_state",
    "address_postal_code",
    "address_country",
)


def surviving(patient: Patient) -> Patient:
    """Follow merges to the patient record that is still in use."""
    seen = set()
    while patient.merged_into_id is not None and patient.id not in seen:
        seen.add(patient.id)
        patient = patient.merged_into
    return patient


def find_patient(identifiers: list[IdentifierData]) -> Patient | None:
    for identifier in identifiers:
        match = (
            PatientIdentifier.objects.select_related("patient")
            .filter(value=identifier.value, assigning_authority=identifier.assigning_authority)
            .first()
        )
        if match is None and not identifier.assigning_authority:
            # A sender that omits the authority: accept a value that is unambiguous.
            candidates = list(
                PatientIdentifier.objects.select_related("patient").filter(value=identifier.value)[
                    :2
                ]
            )
            match = candidates[0] if len(candidates) == 1 else None
        if match is not None:
            return surviving(match.patient)
    return None


@transaction.atomic
def register_patient(data: PatientData) -> Patient:
    """Find the patient by any of its identifiers, or create it; apply what is new.

    Emits patient.registered or patient.updated (only when something changed).
    """
    identifiers = [i for i in data.identifiers if i.value]
    if not identifiers:
        raise ClinicalRuleError("the patient has no identifier", field="patient.identifiers")
    patient = find_patient(identifiers)
    created = patient is None
    if created:
        patient = Patient()
    changed = [
        name
        for name in PATIENT_FIELDS
        if getattr(data, name) not in ("", None, [])
        and getattr(patient, name) != getattr(data, name)
    ]
    for name in changed:
        setattr(patient, name, getattr(data, name))
    if created or changed:
        patient.save()
    known = set(patient.identifiers.values_list("value", "assigning_authority"))
    added = [
        PatientIdentifier(
            patient=patient,
            value=i.value,
            assigning_authority=i.assigning_authority,
            type_code=i.type_code,
        )
        for i in identifiers
        if (i.value, i.assigning_authority) not in known and find_patient([i]) is None
    ]
    PatientIdentifier.objects.bulk_create(added)
    if created:
        announce("patient.registered", "patient", patient.id, patient.id)
    elif changed or added:
        announce("patient.updated", "patient", patient.id, patient.id, fields=changed)
    return patient


@transaction.atomic
def merge_patients(survivor: PatientData, merged: list[IdentifierData]) -> Patient:
    """Move everything of the patient known by `merged` onto the survivor (ADT A40).

    The merged record stays, pointing at the survivor, so old links and audit still resolve.
    Emits patient.merged. Merging a patient we never saw is not an error: nothing moves.
    """
    target = register_patient(survivor)
    source = find_patient([i for i in merged if i.value])
    if source is None or source.id == target.id:
        return target
    source.orders.update(patient=target)
    source.appointments.update(patient=target)
    source.documents.update(patient=target)
    source.identifiers.update(patient=target)
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    announce("patient.merged", "patient", target.id, target.id, merged_patient_id=source.id)
    return target


@transaction.atomic
def change_patient_identifier(old: IdentifierData, new: IdentifierData) -> Patient:
    """Replace one identifier of a patient by another (ADT A47). Emits patient.updated."""
    row = PatientIdentifier.objects.filter(
        value=old.value, assigning_authority=old.assigning_authority
    ).first()
    if row is None:
        raise ClinicalRuleError(
            f"no patient has identifier {old.value!r} (authority {old.assigning_authority!r})",
            field="patient.prior_identifier",
        )
    if (
        PatientIdentifier.objects.filter(
            value=new.value, assigning_authority=new.assigning_authority
        )
        .exclude(pk=row.pk)
        .exists()
    ):
        raise ClinicalRuleError(
            f"identifier {new.value!r} (authority {new.assigning_authority!r}) already belongs "
            "to another patient: merge the patients instead (A40)",
            field="patient.identifier",
        )
    row.value = new.value
    row.assigning_authority = new.assigning_authority
    row.type_code = new.type_code or row.type_code
    row.save()
    announce(
        "patient.updated",
        "patient",
        row.patient_id,
        row.patient_id,
        fields=["identifiers"],
        old_identifier=old.value,
        new_identifier=new.value,
    )
    return row.patient


def upsert_practitioner(data: PractitionerData | None) -> Practitioner | None:
    if data is None or not (data.identifier or data.family_name):
        return None
    # Senders without a practitioner ID still name the doctor: key them by name.
    identifier = data.identifier or f"name:{data.family_name}^{data.given_name}".lower()
    practitioner, created = Practitioner.objects.get_or_create(
        identifier=identifier,
        assigning_authority=data.assigning_authority,
        defaults={
            "family_name": data.family_name,
            "given_name": data.given_name,
            "prefix": data.prefix,
            "suffix": data.suffix,
        },
    )
    if (
        not created
        and data.family_name
        and (
            practitioner.family_name != data.family_name
            or practitioner.given_name != data.given_name
        )
    ):
        practitioner.family_name = data.family_name
        practitioner.given_name = data.given_name
        practitioner.save(update_fields=["family_name", "given_name", "updated_at"])
    return practitioner


def upsert_location(code: str, name: str = "") -> Location | None:
    if not code:
        return None
    location, _ = Location.objects.get_or_create(code=code, defaults={"name": name})
    return location
