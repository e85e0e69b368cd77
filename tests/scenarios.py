"""A small centre for cross-app permission tests: two sites, two clinics, two patients, each
patient with an order at one site by a doctor of one clinic, a final report and a received
study. Everything is made with the persona helpers and the real image index, so the accounts
app's rules decide who sees what, in the portal, over FHIR and over DICOMweb alike."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.contrib.auth.models import User

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Order, Patient, Report
from radbridge.imaging.models import Instance, Study
from tests.imaging.helpers import receive
from tests.personas import (
    make_clinic,
    make_location,
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
)


@dataclass
class Record:
    """One patient's side of the centre: their account, order, report, study and image."""

    patient: Patient
    user: User
    doctor: User
    staff: User  # a technologist at the site of the order
    order: Order
    report: Report
    study: Study
    instance: Instance

    def dicomweb(self, suffix: str = "") -> str:
        """A DICOMweb URL of this record's study; `{se}`/`{i}` name its series/instance."""
        return f"/dicomweb/studies/{self.study.study_instance_uid}" + suffix.format(
            se=self.instance.series.series_instance_uid, i=self.instance.sop_instance_uid
        )


_study_numbers = itertools.count(1)


def patient_record(name: str, clinic=None) -> Record:
    site = make_site(f"{name} site")
    doctor = make_physician(clinic=clinic or make_clinic(f"{name} clinic"))
    patient = make_patient()
    order = make_order(patient, doctor.profile.practitioner, make_location(site),
                       report_text=f"{name}: no fracture.")
    study_uid = f"1.2.826.0.1.3680043.10.1.{next(_study_numbers)}"
    receive(study_uid, accession=order.accession_number,
            patient_id=patient.identifiers.get().value)
    study = Study.objects.get(study_instance_uid=study_uid)
    assert study.order_id == order.pk, "the study must match its order"
    return Record(
        patient=patient, user=make_patient_user(patient, username=name.lower()), doctor=doctor,
        staff=make_staff(Role.TECHNOLOGIST, sites=[site]), order=order, report=order.report,
        study=study, instance=study.instances.select_related("series").get(),
    )
