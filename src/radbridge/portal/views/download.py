"""Download a copy of a study (DICOM files, DICOMDIR, report PDF) as a streamed zip.

Anyone who may see the study may take a copy (signed in, or with a share code: see
shared_study.py); it leaves the centre, so it is audited as a disclosure (`read.download`,
with what the zip holds) before the first byte is sent. A zip reads every file of the study,
so each account (or share) has an hourly allowance (RADBRIDGE_STUDY_DOWNLOADS_PER_HOUR),
counted from those audit entries.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from radbridge.clinical.choices import ReportStatus
from radbridge.clinical.models import ReportVersion
from radbridge.core import audit
from radbridge.core.models import AuditEntry
from radbridge.core.web_app import streams_async
from radbridge.imaging.models import Instance

from ..phi import reads_phi
from ..report_pdf import render_report_pdf
from ..study_archive import study_members, zip_stream
from .viewer import visible_order

SHOWN_REPORTS = (ReportStatus.PRELIMINARY, ReportStatus.FINAL, ReportStatus.CORRECTED)
ALLOWANCE_WINDOW = timedelta(hours=1)


async def each_in_a_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The zip through Django's ASGI handler (core/web_app.py), piece by piece: it would
    read a plain iterator to the end, in memory, before sending the first byte."""
    done = object()
    while (piece := await sync_to_async(next, thread_sensitive=False)(chunks, done)) is not done:
        yield piece


def archive_name(order) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", order.accession_number).strip("-") or str(order.pk)
    return f"study-{safe}.zip"


def newest_report(versions: QuerySet[ReportVersion], order) -> ReportVersion | None:
    """The newest shown version among `versions` (those the reader may see)."""
    return (
        versions.filter(report__order=order, status__in=SHOWN_REPORTS)
        .select_related("radiologist").order_by("-number").first()
    )


def downloads_by(user) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(actor=f"user:{user.get_username()}",
                                     action="read.download")


def seconds_until_allowed(downloads: QuerySet[AuditEntry]) -> int:
    """0 when one more download is allowed now, else the seconds until the oldest of the
    last hour's `downloads` (the audit entries this allowance counts) leaves the window."""
    allowance = settings.STUDY_DOWNLOADS_PER_HOUR
    since = timezone.now() - ALLOWANCE_WINDOW
    recent = list(
        downloads.filter(at__gte=since)
        .order_by("-at").values_list("at", flat=True)[:max(allowance, 1)]
    )
    if len(recent) < allowance:
        return 0
    oldest = recent[-1] if recent else timezone.now()
    return max(1, int((oldest - since).total_seconds()) + 1)


def too_many(allowance: int, wait: int) -> HttpResponse:
    response = HttpResponse(
        f"You may take at most {allowance} downloads an hour: try again in "
        f"{(wait + 59) // 60} minutes.", status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response


@streams_async  # a slow reader holds no request thread for minutes
@reads_phi
@require_GET
@login_required
def download_study(request, order_id: int):
    order = visible_order(request, order_id)
    return send_copy(request, order, downloads_by(request.user),
                     Instance.objects.restrict(request.user).filter(study__order=order),
                     ReportVersion.objects.restrict(request.user))


def send_copy(request, order, downloads: QuerySet[AuditEntry], images: QuerySet[Instance],
              versions: QuerySet[ReportVersion], **audit_detail) -> HttpResponse:
    """The zip of `order`, for every way in: `images` and `versions` are what the reader
    may see of it, `downloads` the audit entries their hourly allowance counts. Audited as
    a disclosure before the first byte."""
    if wait := seconds_until_allowed(downloads):
        return too_many(settings.STUDY_DOWNLOADS_PER_HOUR, wait)
    instances = list(
        images.order_by("study_id", "series__series_number", "series_id", "instance_number",
                        "id")
    )
    report = newest_report(versions, order)
    report_pdf = render_report_pdf(order, report) if report is not None else None
    members = study_members(instances, report_pdf)
    audit.record_read(
        "download", "order", order.pk, patient_id=order.patient_id,
        accession_number=order.accession_number, disclosure="copy of the study",
        instances=len(instances), bytes=sum(i.file_size for i in instances),
        report_version=report.number if report else None, **audit_detail,
    )
    chunks = zip_stream(members)
    if isinstance(request, ASGIRequest):  # served by `radbridge serve`: streams async
        chunks = each_in_a_thread(chunks)
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive_name(order)}"'
    return response
