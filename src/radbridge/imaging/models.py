"""The image index: Study / Series / Instance rows over the files in DICOM storage, and the
log of DICOM associations (how each ended, what it carried) for the interface monitor.

A Study is linked to its clinical Order (and so its Patient) by the matching rules; until a
rule or a person links it, it belongs to no one and only staff see it, in reconciliation.
Series and Instances are visible exactly when their study is.
"""

from django.db import models

from radbridge.clinical.models import Order, Patient
from radbridge.core.models import TimeStampedModel
from radbridge.core.permissions import RestrictedManager

from .choices import AssociationOutcome, Availability, MatchRule, Reconciliation, RenderState


class Study(TimeStampedModel):
    restricted_via = ("order", "patient")
    study_instance_uid = models.CharField(max_length=64, unique=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="studies"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="studies"
    )
    match_rule = models.CharField(max_length=30, choices=MatchRule, blank=True)
    reconciliation = models.CharField(
        max_length=12, choices=Reconciliation, default=Reconciliation.UNMATCHED, db_index=True
    )
    reconciliation_note = models.CharField(max_length=500, blank=True)
    # The order a rule found but could not link (the patients disagree): a person decides.
    candidate_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Attributes as the modality sent them (first instance), for search and viewers.
    patient_identifier = models.CharField(max_length=64, blank=True, db_index=True)
    issuer_of_patient_identifier = models.CharField(max_length=64, blank=True)
    patient_name = models.CharField(max_length=200, blank=True)
    patient_birth_date = models.CharField(max_length=8, blank=True)
    patient_sex = models.CharField(max_length=16, blank=True)
    accession_number = models.CharField(max_length=64, blank=True, db_index=True)
    study_date = models.DateField(null=True, blank=True, db_index=True)
    study_time = models.CharField(max_length=16, blank=True)
    study_description = models.CharField(max_length=200, blank=True)
    study_id = models.CharField(max_length=16, blank=True)
    referring_physician_name = models.CharField(max_length=200, blank=True)
    modalities = models.CharField(max_length=100, blank=True)  # "CT,SR", in arrival order
    expected_instance_count = models.PositiveIntegerField(null=True, blank=True)
    instance_count = models.PositiveIntegerField(default=0)
    last_received_at = models.DateTimeField(null=True, blank=True)
    availability = models.CharField(
        max_length=12, choices=Availability, default=Availability.RECEIVING, db_index=True
    )
    available_at = models.DateTimeField(null=True, blank=True)
    objects = RestrictedManager()

    class Meta:
        verbose_name_plural = "studies"
        permissions = [("reconcile_study", "Can link received studies to orders or reject them")]

    def __str__(self) -> str:
        return f"study {self.accession_number or self.study_instance_uid}"

    @property
    def modality_list(self) -> list[str]:
        return [m for m in self.modalities.split(",") if m]


class Series(models.Model):
    restricted_via = ("study",)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_instance_uid = models.CharField(max_length=64, unique=True)
    modality = models.CharField(max_length=16, blank=True)
    series_number = models.IntegerField(null=True, blank=True)
    series_description = models.CharField(max_length=200, blank=True)
    body_part_examined = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = RestrictedManager()

    class Meta:
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"series {self.series_number} {self.modality}"


class Instance(models.Model):
    restricted_via = ("study",)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="instances")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField(max_length=64, unique=True)
    sop_class_uid = models.CharField(max_length=64)
    transfer_syntax_uid = models.CharField(max_length=64)
    instance_number = models.IntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    columns = models.PositiveIntegerField(null=True, blank=True)
    number_of_frames = models.PositiveIntegerField(default=1)
    photometric_interpretation = models.CharField(max_length=20, blank=True)
    file_name = models.CharField(max_length=200)  # name in the "dicom" storage
    file_size = models.PositiveBigIntegerField()
    received_from = models.CharField(max_length=100, blank=True)  # "dicom:CT01", "stow:alice"
    received_at = models.DateTimeField(auto_now_add=True)
    render_state = models.CharField(
        max_length=10, choices=RenderState, default=RenderState.PENDING, db_index=True
    )
    render_error = models.CharField(max_length=500, blank=True)
    objects = RestrictedManager()

    class Meta:
        indexes = [models.Index(fields=["series", "instance_number"])]

    def __str__(self) -> str:
        return f"instance {self.instance_number} {self.sop_instance_uid}"

    @property
    def has_pixels(self) -> bool:
        return bool(self.rows and self.columns)


class DicomAssociation(models.Model):
    """One association that reached the SCP, written once it is over (see wire/record.py).
    No PHI: addresses, AE titles and counts only; old rows are pruned (associations.py)."""

    started_at = models.DateTimeField(db_index=True)
    duration_seconds = models.FloatField(default=0)
    peer_address = models.CharField(max_length=45)
    calling_ae_title = models.CharField(max_length=16, blank=True)
    called_ae_title = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=16, choices=AssociationOutcome)
    reason = models.CharField(max_length=500, blank=True)
    # Disjoint: new instances stored, failure statuses, success for an instance already stored.
    stores_succeeded = models.PositiveIntegerField(default=0)
    stores_failed = models.PositiveIntegerField(default=0)
    stores_duplicate = models.PositiveIntegerField(default=0)
    echoes = models.PositiveIntegerField(default=0)
    bytes_received = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"association from {self.calling_ae_title or '?'} at {self.peer_address}"

    @property
    def has_problem(self) -> bool:
        return (self.outcome != AssociationOutcome.RELEASED or self.stores_failed > 0
                or bool(self.reason))
