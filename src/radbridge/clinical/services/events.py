"""One helper to announce a change: an audit entry and an outbox event, same transaction."""

from radbridge.core import audit, outbox


def announce(topic: str, object_type: str, object_id: int, patient_id: int | None, **payload):
    audit.record(topic, object_type, object_id, patient_id=patient_id)
    outbox.emit(topic, object_type, object_id, patient_id=patient_id, **payload)
