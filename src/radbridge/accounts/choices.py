"""Roles and the other enumerations of accounts."""

from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    PHYSICIAN = "physician", "Referring physician"
    CLINIC_ADMIN = "clinic_admin", "Clinic administrator"
    FRONT_DESK = "front_desk", "Front desk"
    TECHNOLOGIST = "technologist", "Technologist"
    RADIOLOGIST = "radiologist", "Radiologist"
    CENTRE_ADMIN = "centre_admin", "Centre administrator"
    INTEGRATION = "integration", "Integration account (API only)"


# Centre staff see everything at their sites.
STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST})
# Everyone but patients and API accounts must log in with a second factor.
TWO_FACTOR_ROLES = frozenset(
    {Role.PHYSICIAN, Role.CLINIC_ADMIN, Role.CENTRE_ADMIN, *STAFF_ROLES}
)
# Roles a clinic administrator may give to the users of their clinic.
CLINIC_ROLES = frozenset({Role.PHYSICIAN, Role.CLINIC_ADMIN})


class ProxyRelationship(models.TextChoices):
    PARENT = "parent", "Parent or guardian"
    CARER = "carer", "Carer"
    OTHER = "other", "Other (authorised representative)"


class ConsentSource(models.TextChoices):
    PATIENT_ONLINE = "patient_online", "Granted by the patient online"
    RECORDED_BY_STAFF = "staff", "Recorded by centre staff"


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", "Account sign-up"


class InvitationSource(models.TextChoices):
    STAFF = "staff", "Sent by staff"
    CLI = "cli", "Sent from the command line"
    REPORT_FINALIZED = "report", "Sent when the report was finalised"
    MESSAGE = "message", "Link in a results message"
