"""What every app shares: time-stamped base model, outbox events and the audit log."""

import hashlib
import json

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
    """One thing someone (a person, an interface, a job) did or read.

    Entries are written unsealed (one cheap INSERT on every hot path) and sealed soon after
    by one sealer, which gives each its place in the chain (`seq`, contiguous from 1) and a
    hash over its content and the previous entry's hash. Editing a sealed entry breaks its
    own hash; deleting one leaves a hole in `seq` and breaks the next entry's link. The
    database refuses UPDATE and DELETE of sealed rows (trigger, migration 0002).
    """

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
    # Set once, by the sealer: place in the chain, the previous entry's hash and this one's.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["patient_id", "action", "at"], name="audit_patient_action")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_type}"

    def chain_hash(self, seq: int, prev_hash: str) -> str:
        """SHA-256 over this entry's content, its place in the chain and the previous hash."""
        content = {
            "seq": seq,
            "id": self.id,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor,
            "actor_role": self.actor_role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "patient_id": self.patient_id,
            "source_address": self.source_address,
            "user_agent": self.user_agent,
            "outcome": self.outcome,
            "detail": self.detail,
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


class AuditChainHead(models.Model):
    """The one row naming the chain's last sealed entry: its lock serializes sealers, and it
    lets `audit verify` notice entries deleted from the end of the chain."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit chain head at {self.last_seq}"


class Heartbeat(models.Model):
    """The last sign of life of one role in one process (`radbridge serve`), so operators see
    from any machine which roles run and which went quiet (core.health)."""

    role = models.CharField(max_length=30)
    host = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "host", "pid"], name="heartbeat_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.role} on {self.host} (pid {self.pid}) at {self.beat_at:%H:%M:%S}"
