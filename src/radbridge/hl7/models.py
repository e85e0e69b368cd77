"""The HL7 journal (every raw message, stored before it is acknowledged) and outbound queue."""

from django.db import models

from .choices import InboundStatus, OutboundStatus


class InboundMessage(models.Model):
    received_at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=10)  # mllp, file, replay
    peer = models.CharField(max_length=300, blank=True)  # address:port or file name
    raw = models.BinaryField()
    sender_key = models.CharField(max_length=200, blank=True)  # MSH-3|MSH-4
    message_type = models.CharField(max_length=30, blank=True, db_index=True)
    control_id = models.CharField(max_length=200, blank=True)
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=InboundStatus, db_index=True)
    # The same control ID with different content: a sender bug seen in the wild. We apply it
    # (it is a new message) and flag it so the interface team can chase the sender.
    control_id_reused = models.BooleanField(default=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retransmissions"
    )
    ack_code = models.CharField(max_length=2, blank=True)
    ack = models.TextField(blank=True)
    error = models.TextField(blank=True)
    warnings = models.TextField(blank=True)
    processing_ms = models.FloatField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["sender_key", "control_id"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.message_type} {self.control_id} ({self.status})"


class OutboundMessage(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    # One outbound message per source event: the key makes queueing exactly-once.
    source_key = models.CharField(max_length=200, unique=True)
    destination = models.CharField(max_length=300)  # host:port
    message_type = models.CharField(max_length=30)
    control_id = models.CharField(max_length=200)
    raw = models.TextField()
    status = models.CharField(
        max_length=10, choices=OutboundStatus, default=OutboundStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    ack_code = models.CharField(max_length=2, blank=True)
    ack_text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} to {self.destination} ({self.status})"
