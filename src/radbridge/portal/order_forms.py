"""The online order forms: a new imaging order, and an HL7 ORM file to upload.

They parse and check what a referring physician or the front desk sends; `ordering_intake`
turns the result into the clinical `place_order` call. Attachments are checked by size and by
their first bytes (not the name or the browser's claimed type), so only PDF, PNG and JPEG
files are kept with the order.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.template.defaultfilters import filesizeformat

from radbridge.accounts.choices import STAFF_ROLES
from radbridge.accounts.permissions import orderable_patients, profile_of, role_of
from radbridge.clinical.choices import Priority
from radbridge.clinical.models import Location, Patient

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ORM_BYTES = 1024 * 1024
FORM_FIELD_BYTES = 64 * 1024  # the fields around the files, and multipart framing
PATIENT_CHOICES = 50  # patients listed at once; "Find a patient" narrows a longer list
ATTACHMENT_TYPES = (  # (first bytes, MIME type, what people call it)
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
)
# The procedures a referrer picks from: (code, name, modality).
PROCEDURES = (
    ("XRCHEST", "X-ray chest", "CR"),
    ("XRKNEE", "X-ray knee", "CR"),
    ("CTHEAD", "CT head without contrast", "CT"),
    ("CTCHEST", "CT chest", "CT"),
    ("CTABD", "CT abdomen and pelvis with contrast", "CT"),
    ("MRBRAIN", "MRI brain", "MR"),
    ("MRKNEE", "MRI knee", "MR"),
    ("MRLSPINE", "MRI lumbar spine", "MR"),
    ("USABD", "Ultrasound abdomen", "US"),
    ("MAMMO", "Screening mammogram", "MG"),
)
PROCEDURE_BY_CODE = {code: (name, modality) for code, name, modality in PROCEDURES}


class PatientChoice(forms.ModelChoiceField):
    def label_from_instance(self, patient: Patient) -> str:
        born = patient.birth_date.strftime("%d %b %Y") if patient.birth_date else "birth date ?"
        return f"{patient.display_name} (born {born})"


def matching(patients, find: str):
    """Patients whose name contains `find`, or who have it as an identifier."""
    find = find.strip()[:100]
    if not find:
        return patients
    return patients.filter(
        Q(family_name__icontains=find) | Q(given_name__icontains=find)
        | Q(pk__in=Patient.objects.filter(identifiers__value__iexact=find).values("pk"))
    )


def site_limited(user) -> bool:
    """Staff who work at some sites only: their orders must be at one of them, or they
    could not follow the order afterwards."""
    profile = profile_of(user)
    return role_of(user) in STAFF_ROLES and profile is not None and not profile.all_sites


def locations_for(user):
    locations = Location.objects.order_by("name", "code")
    if site_limited(user):
        profile = profile_of(user)
        locations = locations.filter(Q(pk__in=profile.locations.values("pk"))
                                     | Q(organization__in=profile.sites.values("pk")))
    return locations


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def attachment_type(upload) -> str:
    """The MIME type read from the file's first bytes; ValidationError for anything else."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise forms.ValidationError(
            f"{upload.name} is {filesizeformat(upload.size)}: attachments may be at most "
            f"{filesizeformat(MAX_ATTACHMENT_BYTES)} each.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, mime, _ in ATTACHMENT_TYPES:
        if head.startswith(magic):
            return mime
    kinds = ", ".join(name for _, _, name in ATTACHMENT_TYPES)
    raise forms.ValidationError(
        f"{upload.name} is not a {kinds} file (its content says otherwise): attach the "
        "referral letter or prior results as PDF, PNG or JPEG.")


def oversized_body(declared: int, upload_only: bool) -> str:
    """Why a request declaring `declared` bytes cannot be one of these forms (its files at
    their limits, and the fields), or "": so it is refused before it is read and parsed."""
    files = MAX_ORM_BYTES if upload_only else MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES
    if declared <= files + FORM_FIELD_BYTES:
        return ""
    allowed = (f"an order message is at most {filesizeformat(MAX_ORM_BYTES)}" if upload_only
               else f"at most {MAX_ATTACHMENTS} attachments of "
                    f"{filesizeformat(MAX_ATTACHMENT_BYTES)} each are accepted")
    return f"Nothing was placed: the upload is {filesizeformat(declared)}, and {allowed}."


class OrderForm(forms.Form):
    patient = PatientChoice(queryset=Patient.objects.none(), label="Patient",
                            empty_label="Choose the patient")
    procedure = forms.ChoiceField(
        label="Procedure", choices=[("", "Choose the exam")] + [
            (code, f"{name} ({modality})") for code, name, modality in PROCEDURES])
    priority = forms.ChoiceField(
        label="Priority", choices=Priority.choices, initial=Priority.ROUTINE,
        help_text="STAT: the radiologist reads it first and you are told the moment the "
                  "report is signed.")
    location = forms.ModelChoiceField(
        queryset=Location.objects.order_by("name", "code"), required=False,
        label="Imaging site (optional)", empty_label="Any site: the centre chooses")
    indication = forms.CharField(
        label="Clinical indication", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why you are asking for this exam: symptoms, question to answer, history.")
    attachments = MultipleFileField(
        label="Attachments (optional)", required=False,
        help_text=f"Up to {MAX_ATTACHMENTS} PDF, PNG or JPEG files, "
                  f"{filesizeformat(MAX_ATTACHMENT_BYTES)} each.")

    def __init__(self, *args, user, find: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        patients = orderable_patients(user).order_by("family_name", "given_name", "pk")
        if self.is_bound:  # check the one chosen; show it alone if the form comes back
            chosen = str(self.data.get("patient", ""))
            patients = patients.filter(pk=int(chosen)) if chosen.isdigit() else patients.none()
        else:
            patients = matching(patients, find)[:PATIENT_CHOICES]
        self.fields["patient"].queryset = patients
        self.fields["location"].queryset = locations_for(user)
        if site_limited(user):
            self.fields["location"].required = True
            self.fields["location"].label = "Imaging site"
            self.fields["location"].empty_label = "Choose one of your sites"

    def clean_indication(self):
        text = self.cleaned_data["indication"].strip()
        if "\x00" in text:
            raise forms.ValidationError("The indication contains a null character: retype it.")
        return text

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                f"{len(files)} files were attached: at most {MAX_ATTACHMENTS} are accepted.")
        return [(upload, attachment_type(upload)) for upload in files]


class OrderUploadForm(forms.Form):
    message = forms.FileField(
        label="HL7 ORM^O01 file",
        error_messages={"empty": "The file is empty: upload an HL7 ORM^O01 message."},
        help_text="One ORM^O01 message (as your EHR exports it), at most "
                  f"{filesizeformat(MAX_ORM_BYTES)}. The patient must already be known here.")

    def clean_message(self):
        upload = self.cleaned_data["message"]
        if upload.size > MAX_ORM_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}: an order message is at most "
                f"{filesizeformat(MAX_ORM_BYTES)}. Upload one ORM^O01 message.")
        return upload.read()
