"""Patient invitations and sign-up: a link tied to a study, the date of birth, then a one-time
code sent to the phone on file. The clear link and code travel only in outbox events
(`portal.invitation`, `auth.one_time_code`) that the notify app delivers."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from radbridge.clinical.models import Order, Patient
from radbridge.core import audit, links, outbox

from ..choices import CodePurpose, InvitationSource, Role
from ..models import Invitation, OneTimeCode, Profile
from ..permissions import surviving_ids
from ..secrets import digest, keyed_digest, new_numeric_code, new_token, same
from .errors import AccountsError
from .users import create_account

MAX_ATTEMPTS = 5
SIGNUP_PATH = "/signup/"


def current_record(patient: Patient) -> Patient:
    """The surviving record of a patient that may have been merged."""
    while patient.merged_into_id is not None:
        patient = patient.merged_into
    return patient


def has_account(patient: Patient) -> bool:
    ids = surviving_ids({patient.pk}) | set(patient.merged_from.values_list("pk", flat=True))
    return Profile.objects.filter(role=Role.PATIENT, patient__in=ids).exists()


def signup_url(token: str, base_url: str = "") -> str:
    if base_url:
        return f"{base_url.rstrip('/')}{SIGNUP_PATH}{token}/"
    return links.portal_url(f"{SIGNUP_PATH}{token}/")


def contact_of(patient: Patient) -> tuple[str, str]:
    phone = next((p for p in patient.phones if p), "") if patient.phones else ""
    return phone, patient.email


@transaction.atomic
def invite_patient(
    patient: Patient,
    order: Order | None = None,
    *,
    source: str,
    created_by=None,
    base_url: str = "",
    source_event_id: int | None = None,
    announce: bool = True,
) -> tuple[Invitation, str]:
    """Invite a patient to create their account; returns the invitation and its link.

    Emits portal.invitation (to the phone and email on file) unless `announce` is False: the
    caller then carries the link in a message of its own. With `source_event_id`, a second
    call for the same event raises IntegrityError instead of inviting twice.
    """
    patient = current_record(patient)
    if has_account(patient):
        raise AccountsError(f"patient {patient} already has an account", "patient")
    phone, email = contact_of(patient)
    if not (phone or email):
        raise AccountsError(
            f"patient {patient} has no phone number or email on file: update the record in "
            "the RIS first",
            "patient",
        )
    token = new_token("inv")
    expires_at = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
    invitation = Invitation.objects.create(
        patient=patient,
        order=order,
        token_hash=digest(token),
        to_phone=phone,
        to_email=email,
        source=source,
        source_event_id=source_event_id,
        created_by=created_by,
        expires_at=expires_at,
    )
    url = signup_url(token, base_url)
    audit.record("accounts.invitation_sent", "invitation", invitation.pk, patient_id=patient.pk)
    if not announce:
        return invitation, url
    outbox.emit(
        "portal.invitation",
        "invitation",
        invitation.pk,
        patient_id=patient.pk,
        order_id=order.pk if order else None,
        accession_number=order.accession_number if order else "",
        url=url,
        to_phone=phone,
        to_email=email,
        expires_at=expires_at.isoformat(),
    )
    return invitation, url


def find_invitation(token: str) -> Invitation | None:
    """The usable invitation behind a link, or None (unknown, used, expired or locked)."""
    invitation = (
        Invitation.objects.select_related("patient", "order").filter(token_hash=digest(token))
    ).first()
    if invitation is None or not invitation.is_usable:
        return None
    if invitation.failed_attempts >= MAX_ATTEMPTS:
        return None
    return invitation


def check_birth_date(invitation: Invitation, birth_date: date) -> bool:
    """Compare with the record; each miss counts, and too many close the invitation."""
    patient = current_record(invitation.patient)
    if patient.birth_date is not None and patient.birth_date == birth_date:
        return True
    Invitation.objects.filter(pk=invitation.pk).update(failed_attempts=F("failed_attempts") + 1)
    with transaction.atomic():
        audit.record(
            "accounts.signup_identity_failed", "invitation", invitation.pk, patient_id=patient.pk,
            outcome="denied",
        )
    return False


@transaction.atomic
def send_signup_code(invitation: Invitation) -> OneTimeCode:
    """Send a one-time code to the phone on file (the email when there is no phone).

    Emits auth.one_time_code; the code is stored only as a keyed hash."""
    patient = current_record(invitation.patient)
    phone, email = contact_of(patient)
    OneTimeCode.objects.filter(invitation=invitation, used_at__isnull=True).update(
        used_at=timezone.now()  # one live code at a time
    )
    code = new_numeric_code()
    expires_at = timezone.now() + timedelta(minutes=settings.ONE_TIME_CODE_VALID_MINUTES)
    row = OneTimeCode.objects.create(
        purpose=CodePurpose.SIGNUP,
        code_hash=keyed_digest(code),
        invitation=invitation,
        expires_at=expires_at,
    )
    audit.record("auth.one_time_code_sent", "invitation", invitation.pk, patient_id=patient.pk)
    outbox.emit(
        "auth.one_time_code",
        "one_time_code",
        row.pk,
        purpose=CodePurpose.SIGNUP,
        code=code,
        to_phone=phone,
        to_email="" if phone else email,
        patient_id=patient.pk,
        user_id=None,
        expires_at=expires_at.isoformat(),
    )
    return row


def check_code(invitation: Invitation, code: str) -> bool:
    row = (
        OneTimeCode.objects.filter(invitation=invitation, used_at__isnull=True)
        .order_by("-id")
        .first()
    )
    if row is None or not row.is_usable or row.attempts >= MAX_ATTEMPTS:
        return False
    if same(row.code_hash, keyed_digest(code.strip())):
        return True
    OneTimeCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    return False


@transaction.atomic
def complete_signup(
    invitation: Invitation, code: str, username: str, email: str, password: str
) -> User:
    """Create the patient's account once the code is right. Audited as accounts.signup."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise AccountsError("this invitation was already used or has expired", "code")
    if not check_code(invitation, code):
        raise AccountsError(
            "that code is not right or has expired: ask for a new code", "code"
        )
    patient = current_record(invitation.patient)
    user_probe = User(username=username, email=email)
    try:
        validate_password(password, user_probe)
    except ValidationError as error:
        raise AccountsError(" ".join(error.messages), "password") from None
    try:
        with transaction.atomic():
            user = create_account(
                username, Role.PATIENT, email=email, password=password, patient=patient,
                first_name=patient.given_name, last_name=patient.family_name,
            )
    except IntegrityError:
        raise AccountsError(f"patient {patient} already has an account", "patient") from None
    OneTimeCode.objects.filter(invitation=invitation, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit.record("accounts.signup", "user", user.pk, patient_id=patient.pk)
    return user


def link_for_patient(patient_id: int, order_id: int | None) -> str:
    """The link a results message gives a patient (registered with core.links): the study's
    page when they have an account, else a sign-up link tied to the study; the sign-in page
    when they cannot be invited (no phone or email on file)."""
    patient = Patient.objects.filter(pk=patient_id).first()
    order = Order.objects.filter(pk=order_id).first() if order_id else None
    if patient is None:
        return links.portal_url("/login/")
    if has_account(current_record(patient)):
        return links.study_url(order.pk) if order else links.portal_url("/")
    try:
        _, url = invite_patient(patient, order, source=InvitationSource.MESSAGE, announce=False)
    except AccountsError:
        return links.portal_url("/login/")
    return url
