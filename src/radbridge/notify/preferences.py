"""A person's own choices about messages, as they set them in the portal: the verb that
saves a patient's ContactPreference (audited) and the languages messages can be sent in.

The planner reads the same row (recipients.apply_preference), so a saved choice decides the
next message planned: its channels, language, quiet hours, or none at all after an opt-out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import time

from django.conf import settings
from django.db import transaction

from radbridge.clinical.models import Patient
from radbridge.core import audit

from .choices import ChannelChoice
from .defaults import DEFAULTS
from .models import ContactPreference, MessageTemplate


@dataclass
class PreferenceChoice:
    channels: str = ChannelChoice.BOTH
    language: str = ""
    opted_out: bool = False
    sms_number: str = ""
    email: str = ""
    time_zone: str = ""
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None


def message_languages() -> list[str]:
    """Languages with wording for patients: what RadBridge ships and what the centre added."""
    shipped = {language for (_, _, language) in DEFAULTS}
    added = set(MessageTemplate.objects.filter(active=True).values_list("language", flat=True))
    return sorted(shipped | added | {settings.NOTIFY_DEFAULT_LANGUAGE})


def preference_choice(patient: Patient) -> PreferenceChoice:
    """The patient's saved choices, or the defaults when they never chose."""
    saved = ContactPreference.objects.filter(patient=patient).first()
    if saved is None:
        return PreferenceChoice()
    return PreferenceChoice(**{f.name: getattr(saved, f.name) for f in fields(PreferenceChoice)})


@transaction.atomic
def set_patient_preference(patient: Patient, choice: PreferenceChoice) -> ContactPreference:
    """Save the patient's choices (one row per patient, locked while it changes); audited
    with the names of the fields that changed, never their values."""
    before = asdict(preference_choice(patient))
    preference, _ = ContactPreference.objects.select_for_update().update_or_create(
        patient=patient, defaults=asdict(choice))
    changed = sorted(name for name, value in asdict(choice).items() if before[name] != value)
    audit.record("notify.preference.update", "notify.contactpreference", preference.pk,
                 patient_id=patient.pk, changed=changed)
    return preference
