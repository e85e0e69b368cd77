"""Who a user is at the centre: role, and the sites, clinic, practitioner or patient it ties to.

Django's own User stays the login; a Profile (one per user) carries the rest. A user with no
profile has no role and sees nothing; a Django superuser counts as a centre administrator.
"""

from django.conf import settings
from django.db import models

from radbridge.clinical.models import Location, Organization, Patient, Practitioner
from radbridge.core.models import TimeStampedModel

from ..choices import STAFF_ROLES, TWO_FACTOR_ROLES, Role


class Profile(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role)
    phone = models.CharField(max_length=50, blank=True)
    # Referring physicians: who they are in the RIS's messages, and their clinic.
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="profiles"
    )
    clinic = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="member_profiles",
        limit_choices_to={"kind": "clinic"},
    )
    # Centre staff: the imaging sites (organisations) and rooms (locations) they work at,
    # or the whole centre.
    sites = models.ManyToManyField(
        Organization, blank=True, related_name="staff_profiles", limit_choices_to={"kind": "site"}
    )
    locations = models.ManyToManyField(Location, blank=True, related_name="staff_profiles")
    all_sites = models.BooleanField(default=False)
    # Patients: their record (kept pointing at the survivor when records are merged).
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="profiles"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(role="patient"),
                name="one_account_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def requires_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES


class ClinicPolicy(TimeStampedModel):
    """A referring clinic's choices: may its physicians see each other's patients' studies?"""

    clinic = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="policy")
    colleagues_see_orders = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"policy of {self.clinic}"
