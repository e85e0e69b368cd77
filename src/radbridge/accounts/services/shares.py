"""Share codes: a patient shares one study with a doctor, who needs the code and the
patient's date of birth. Every view counts and is audited; the patient can revoke."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from radbridge.clinical.models import Order
from radbridge.core import audit

from ..models import ShareCode
from ..permissions import may_act_for_patient
from ..secrets import digest, new_code, normalize_code
from .errors import AccountsError

MAX_FAILED_ATTEMPTS = 5


@transaction.atomic
def create_share(
    actor, order: Order, expires_at: datetime, label: str = "", max_views: int | None = None
) -> tuple[ShareCode, str]:
    """Returns the share and its code (shown to the patient once). Audited as share.created."""
    if not may_act_for_patient(actor, order.patient):
        raise AccountsError("you may only share your own studies", "order")
    now = timezone.now()
    if expires_at <= now:
        raise AccountsError("the expiry must be in the future", "expires_at")
    if expires_at > now + timedelta(days=settings.SHARE_CODE_MAX_DAYS):
        raise AccountsError(
            f"a share can last at most {settings.SHARE_CODE_MAX_DAYS} days", "expires_at"
        )
    if max_views is not None and max_views < 1:
        raise AccountsError("allow at least one view, or leave it empty for no limit", "max_views")
    code = new_code()
    share = ShareCode.objects.create(
        order=order, patient=order.patient, code_hash=digest(normalize_code(code)),
        label=label[:100], max_views=max_views, expires_at=expires_at, granted_by=actor,
    )
    audit.record(
        "share.created", "share_code", share.pk, patient_id=order.patient_id,
        order_id=order.pk, expires_at=expires_at.isoformat(), max_views=max_views,
    )
    return share, code


@transaction.atomic
def revoke_share(actor, share: ShareCode) -> None:
    share = ShareCode.objects.select_for_update().get(pk=share.pk)
    if not may_act_for_patient(actor, share.patient):
        raise AccountsError("you may only revoke your own shares", "share")
    if share.revoked_at is None:
        share.revoked_at, share.revoked_by = timezone.now(), actor
        share.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit.record("share.revoked", "share_code", share.pk, patient_id=share.patient_id)


def open_share(code: str, birth_date: date) -> ShareCode:
    """The share behind a code, if it is active and the date of birth matches.

    Misses are audited; five wrong dates of birth close the share. The error never says
    which of the two was wrong."""
    refused = AccountsError(
        "this code and date of birth do not open a shared study: check both, or ask the "
        "patient for a new code (codes expire and can be revoked)",
        "code",
    )
    share = (
        ShareCode.objects.select_related("order", "patient")
        .filter(code_hash=digest(normalize_code(code)))
        .first()
    )
    if share is None:
        with transaction.atomic():
            audit.record("share.open_failed", "share_code", "", outcome="denied", reason="unknown")
        raise refused
    patient = share.patient
    while patient.merged_into_id is not None:
        patient = patient.merged_into
    if not share.is_active or share.failed_attempts >= MAX_FAILED_ATTEMPTS:
        reason = "inactive"
    elif patient.birth_date is None or patient.birth_date != birth_date:
        ShareCode.objects.filter(pk=share.pk).update(failed_attempts=F("failed_attempts") + 1)
        reason = "birth_date"
    else:
        return share
    with transaction.atomic():
        audit.record(
            "share.open_failed", "share_code", share.pk, patient_id=share.patient_id,
            outcome="denied", reason=reason,
        )
    raise refused


@transaction.atomic
def record_share_view(share: ShareCode) -> ShareCode:
    """Count one view of a shared study and audit it; refuses a share no longer active."""
    share = ShareCode.objects.select_for_update().get(pk=share.pk)
    if not share.is_active:
        raise AccountsError("this share has expired or was revoked", "share")
    share.view_count += 1
    share.save(update_fields=["view_count", "updated_at"])
    audit.record_read(
        "share", "order", share.order_id, patient_id=share.patient_id, share_code=share.pk,
        view=share.view_count,
    )
    return share


def shares_still_open() -> QuerySet[ShareCode]:
    """Shares whose study a session that opened them may still look at (the images, a copy):
    neither revoked nor expired.

    `max_views` is not checked here: it counts openings of the shared study
    (record_share_view, the share page), not the pictures and the copy asked for from a page
    whose view was just counted. Counting those too would let a one-view share show the
    report but never the images, and scrolling would use up views. A share that has used its
    views lets no new session in (open_share and the share page refuse it)."""
    return ShareCode.objects.active()
