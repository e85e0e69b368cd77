"""Who hears about an occasion, at which address, in which language, and when.

Recipients come from the clinical record (a patient's phones and email, an order's ordering
and copied practitioners) or from addresses an event names itself (a sign-in code, an
invitation). Preferences (channel, language, opt-out, quiet hours, time zone) override the
defaults. Phone numbers are normalised to E.164 with `phonenumbers`; a landline or an
unreadable number is no SMS address, and the reason is kept for the delivery log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from radbridge.clinical.models import Patient, Practitioner

from .choices import Channel, ChannelChoice
from .config import centre_quiet_hours, zone
from .models import ContactPreference

LANDLINE = phonenumbers.PhoneNumberType.FIXED_LINE


@dataclass
class Address:
    value: str = ""
    problem: str = ""  # why there is no usable address, for the delivery log


@dataclass
class Recipient:
    key: str  # "patient:12", "practitioner:4", "to:+15551234567"
    role: str  # "patient" or "physician"
    name: str = ""
    first_name: str = ""
    patient: Patient | None = None
    practitioner: Practitioner | None = None
    addresses: dict[str, Address] = field(default_factory=dict)
    channels: tuple[str, ...] = (Channel.SMS, Channel.EMAIL)
    language: str = ""
    opted_out: bool = False
    time_zone: ZoneInfo = field(default_factory=lambda: zone(""))
    quiet_hours: tuple[time, time] | None = None


def normalise_phone(raw: str, region: str | None = None) -> Address:
    """E.164 for a number that can take an SMS; otherwise the reason it cannot."""
    text = (raw or "").strip()
    if not text:
        return Address(problem="no phone number on file")
    try:
        number = phonenumbers.parse(text, region or settings.NOTIFY_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        return Address(problem=f"phone number {text!r} is not readable: {error}")
    if not phonenumbers.is_valid_number(number):
        return Address(problem=f"phone number {text!r} is not a valid number")
    if phonenumbers.number_type(number) == LANDLINE:
        return Address(problem=f"phone number {text!r} is a landline: no SMS")
    return Address(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_email(raw: str) -> Address:
    text = (raw or "").strip()
    if not text:
        return Address(problem="no email address on file")
    try:
        validate_email(text)
    except ValidationError:
        return Address(problem=f"email address {text!r} is not valid")
    return Address(text)


def first_sms_number(phones: list) -> Address:
    """The first of a patient's numbers that can take an SMS (home landlines are skipped)."""
    problems = []
    for raw in phones or []:
        address = normalise_phone(raw if isinstance(raw, str) else str(raw))
        if address.value:
            return address
        problems.append(address.problem)
    return Address(problem="; ".join(problems) or "no phone number on file")


def apply_preference(recipient: Recipient, preference: ContactPreference | None) -> Recipient:
    recipient.quiet_hours = centre_quiet_hours()
    if preference is None:
        return recipient
    if preference.channels != ChannelChoice.BOTH:
        recipient.channels = (preference.channels,)
    recipient.language = preference.language or recipient.language
    recipient.opted_out = preference.opted_out
    recipient.time_zone = zone(preference.time_zone)
    if preference.sms_number:
        recipient.addresses[Channel.SMS] = normalise_phone(preference.sms_number)
    if preference.email:
        recipient.addresses[Channel.EMAIL] = normalise_email(preference.email)
    if preference.quiet_hours_start and preference.quiet_hours_end:
        recipient.quiet_hours = (preference.quiet_hours_start, preference.quiet_hours_end)
    return recipient


def preference_of(known: dict | None, **person) -> ContactPreference | None:
    """The person's preferences: from `known` (read for a whole batch) or the database."""
    if known is not None:
        ((role, who),) = person.items()
        return known.get((role, who.id))
    return ContactPreference.objects.filter(**person).first()


def patient_recipient(patient: Patient, phone: str = "", email: str = "",
                      known: dict | None = None) -> Recipient:
    """The patient, at the addresses an event names or else those on file."""
    while patient.merged_into_id is not None:  # a merged record: tell the surviving one
        patient, known = patient.merged_into, None
    recipient = Recipient(
        key=f"patient:{patient.id}",
        role="patient",
        name=" ".join(p for p in (patient.given_name, patient.family_name) if p).title(),
        first_name=patient.given_name.title(),
        patient=patient,
        addresses={
            Channel.SMS: normalise_phone(phone) if phone else first_sms_number(patient.phones),
            Channel.EMAIL: normalise_email(email or patient.email),
        },
    )
    return apply_preference(recipient, preference_of(known, patient=patient))


def practitioner_recipient(practitioner: Practitioner, known: dict | None = None) -> Recipient:
    recipient = Recipient(
        key=f"practitioner:{practitioner.id}",
        role="physician",
        name=str(practitioner),
        first_name=practitioner.given_name.title(),
        practitioner=practitioner,
        addresses={
            Channel.SMS: normalise_phone(practitioner.phone),
            Channel.EMAIL: normalise_email(practitioner.email),
        },
    )
    return apply_preference(recipient, preference_of(known, practitioner=practitioner))


def address_recipient(phone: str = "", email: str = "", patient: Patient | None = None):
    """Someone known only by the addresses an event gives (a sign-in code to a new user)."""
    if patient is not None:
        recipient = patient_recipient(patient, phone, email)
        if phone or email:  # the event's addresses only, never others on file
            recipient.addresses = {
                Channel.SMS: normalise_phone(phone) if phone else Address(problem="not asked"),
                Channel.EMAIL: normalise_email(email) if email else Address(problem="not asked"),
            }
        return recipient
    recipient = Recipient(
        key=f"to:{phone or ''}:{email or ''}",
        role="user",
        addresses={
            Channel.SMS: normalise_phone(phone) if phone else Address(problem="not asked"),
            Channel.EMAIL: normalise_email(email) if email else Address(problem="not asked"),
        },
    )
    return apply_preference(recipient, None)


def quiet_until(now: datetime, recipient: Recipient) -> datetime | None:
    """When the recipient's quiet hours end, if `now` falls inside them; else None."""
    if recipient.quiet_hours is None:
        return None
    start, end = recipient.quiet_hours
    local = now.astimezone(recipient.time_zone)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=recipient.time_zone)
