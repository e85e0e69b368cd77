"""What every app shares: time-stamped base model, outbox events and the audit log."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it announces."""

    topic = models.CharField(max_length=100, db_index=True)
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    actor = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} {self.aggregate_type}:{self.aggregate_id}"


class OutboxReceipt(models.Model):
    """Proof that one consumer handled one event: the unique key makes handling exactly-once."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="receipts")
    consumer = models.CharField(max_length=100)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event"], name="outbox_receipt_once")
        ]


class OutboxFailure(models.Model):
    """The last error of a consumer on an event, so operators see why it is stuck."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="failures")
    consumer = models.CharField(max_length=100)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField()
    next_attempt_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event"], name="outbox_failure_one_row")
        ]


class OutboxCursor(models.Model):
    """How far one consumer has read: every event at or below `position` is handled, dead
    or older than the relay's grace period, so the relay never rescans the whole table."""

    consumer = models.CharField(max_length=100, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.consumer} at event {self.position}"


class AuditEntry(models.Model):
    """One thing someone (a person, an interface, a job) did or read."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=200, db_index=True)
    actor_role = models.CharField(max_length=50, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    source_address = models.CharField(max_length=100, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, default="ok")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_type}"
