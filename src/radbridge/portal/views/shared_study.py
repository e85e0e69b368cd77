"""A share-code recipient's images and copy of the shared study: the signed-in reader's
viewer (viewer.py) and zip (download.py), for the share's order only.

Authorization is the share page's: this session opened the share (sharing.OPENED_SHARES)
and the share is neither revoked nor expired. Every picture checks the share again in the
query that fetches it, so revoking a share stops an open viewer at its next frame. Opening
the viewer is one audited read (`read.images`, naming the share) and does not count against
the share's views (see shares_still_open); the pictures are served, unaudited one by one,
only to a session that opened this share's viewer, as in viewer.py. The copy is audited and
limited per hour like the patient's own, counted per share.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from radbridge.accounts.middleware import allow_without_second_factor
from radbridge.accounts.models import ShareCode
from radbridge.accounts.services import shares as share_service
from radbridge.clinical.models import ReportVersion
from radbridge.core.models import AuditEntry
from radbridge.core.web_app import streams_async
from radbridge.imaging.models import Instance

from ..phi import reads_phi
from .download import send_copy
from .sharing import OPENED_SHARES
from .viewer import FRAME_CACHE_SECONDS, frame_of, picture_among, show_viewer, thumbnail_of

SHOWN_SHARES = "portal.shared_images_shown"  # shares whose viewer this session opened


def opened_share(request, share_id: int) -> ShareCode | None:
    """The share, if this session opened it (else 404); None once it is revoked or expired."""
    if share_id not in request.session.get(OPENED_SHARES, []):
        raise Http404("no such share")
    return (
        share_service.shares_still_open().filter(pk=share_id)
        .select_related("order").first()
    )


def share_ended(request) -> HttpResponse:
    return render(request, "portal/share/gone.html",
                  {"message": "this share has expired or was revoked"}, status=410)


def shared_images(request, share_id: int) -> QuerySet[Instance]:
    """The shared order's images, for a session that opened this share's viewer; the
    share's being still open is part of the query."""
    session = request.session
    if share_id not in session.get(OPENED_SHARES, []) or share_id not in session.get(
            SHOWN_SHARES, []):
        raise Http404("open the shared study's images first")
    still_open = share_service.shares_still_open().filter(pk=share_id).values("order")
    return Instance.objects.filter(study__order__in=still_open)


@reads_phi
@allow_without_second_factor
@never_cache
def shared_viewer(request, share_id: int):
    share = opened_share(request, share_id)
    if share is None:
        return share_ended(request)
    response = show_viewer(
        request, share.order, Instance.objects.filter(study__order=share.order_id),
        pictures_url=reverse("portal:shared_viewer", args=[share.pk]),
        back_url=reverse("portal:share_view", args=[share.pk]), share_code=share.pk,
    )
    shown = set(request.session.get(SHOWN_SHARES, []))
    if share.pk not in shown:
        request.session[SHOWN_SHARES] = sorted(shown | {share.pk})
    return response


@require_GET
@allow_without_second_factor
@cache_control(private=True, max_age=FRAME_CACHE_SECONDS)
def shared_frame(request, share_id: int, instance_id: int, number: int):
    return frame_of(request, picture_among(shared_images(request, share_id), instance_id),
                    number)


@require_GET
@allow_without_second_factor
@cache_control(private=True, max_age=FRAME_CACHE_SECONDS)
def shared_thumbnail(request, share_id: int, instance_id: int):
    return thumbnail_of(picture_among(shared_images(request, share_id), instance_id))


@streams_async  # a slow reader holds no request thread for minutes
@reads_phi
@require_GET
@allow_without_second_factor
def shared_download(request, share_id: int):
    share = opened_share(request, share_id)
    if share is None:
        return share_ended(request)
    order = share.order
    # The recipient has no account: the share is who the allowance counts.
    downloads = AuditEntry.objects.filter(action="read.download", patient_id=order.patient_id,
                                          detail__share_code=share.pk)
    return send_copy(request, order, downloads, Instance.objects.filter(study__order=order),
                     ReportVersion.objects.all(), share_code=share.pk)
