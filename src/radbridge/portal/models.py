"""What the portal remembers about a person's use of it (not the clinical record)."""

from django.conf import settings
from django.db import models


class WorklistVisit(models.Model):
    """When a user last looked at the worklist: what changed after it is "new" to them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="worklist_visit")
    last_seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} saw the worklist at {self.last_seen_at:%Y-%m-%d %H:%M}"
