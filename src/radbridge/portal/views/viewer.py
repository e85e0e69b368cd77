"""Images in the browser, no install: the viewer page of one study and the frames it shows.

The page lists the order's series (thumbnails) and every frame of every image; the viewer's
script (static/portal/js/viewer.js) fetches frames rendered by the imaging app as JPEG, with
the window the user chose. Authorization is the study page's: the order must be visible to
the user, else 404. Opening the viewer is one audited read (`read.images`); frames are not
audited one by one, but they are served only to a session that opened the viewer of that
order, so no image leaves without its audited read. The study page's series thumbnails
work the same way: its own read covers them.

The page and the pictures are built here once for every way in: a signed-in reader's
(below) and a share-code recipient's (shared_study.py) differ only in the images they may
see (an Instance queryset) and the URL their pictures are served under.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from pydicom import dcmread
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

from radbridge.accounts.permissions import get_visible_or_404
from radbridge.clinical.models import Order
from radbridge.core import audit
from radbridge.imaging.models import Instance, Series
from radbridge.imaging.rendering import (
    THUMBNAIL_SIZE,
    RenderError,
    Window,
    cached_rendering,
)
from radbridge.imaging.rendering import render as render_frame
from radbridge.imaging.storage import dicom_storage

from ..phi import reads_phi

SESSION_KEY = "viewer_orders"  # orders whose images this session was shown (and audited)
LARGEST_SIDE = 2048
# Long enough for scrolling back and forth to be instant, short for a shared computer.
FRAME_CACHE_SECONDS = 600
# Common CT windows (centre, width), in Hounsfield units.
CT_PRESETS = (("Soft tissue", 40, 400), ("Lung", -600, 1500), ("Bone", 480, 2500),
              ("Brain", 40, 80))


def visible_order(request, order_id: int) -> Order:
    return get_visible_or_404(Order.objects.select_related("patient"), request.user, pk=order_id)


def series_of(images: QuerySet[Instance]) -> list[Series]:
    """The series among `images` (already narrowed to what the reader may see) that hold
    pictures, each with its images in reading order (one query, whatever the number of
    series)."""
    images = (
        images.filter(rows__isnull=False)
        .select_related("series")
        .order_by("series__study_id", "series__series_number", "series_id", "instance_number",
                  "id")
    )
    found: dict[int, Series] = {}
    for image in images:
        series = found.get(image.series_id)
        if series is None:
            series = found[image.series_id] = image.series
            series.images = []
        series.images.append(image)
    return list(found.values())


def first_value(value) -> float:
    return float(value[0]) if isinstance(value, MultiValue) else float(value)


def default_window(instance: Instance) -> tuple[float, float]:
    """The window a drag starts from: the file's own, else the stored bit depth's range."""
    with dicom_storage().open(instance.file_name, "rb") as source:
        try:
            header = dcmread(source, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError):
            return 128.0, 256.0
    center, width = header.get("WindowCenter"), header.get("WindowWidth")
    if center is not None and width is not None:
        return first_value(center), first_value(width)
    slope = float(header.get("RescaleSlope", 1) or 1)
    intercept = float(header.get("RescaleIntercept", 0) or 0)
    span = slope * 2 ** int(header.get("BitsStored", 8) or 8)
    return intercept + span / 2, span


def series_data(series: Series) -> dict:
    center, width = default_window(series.images[0])
    return {
        "id": series.id,
        "label": series.series_description or f"Series {series.series_number or ''}".strip(),
        "modality": series.modality,
        "window": [center, width],
        "frames": [[i.id, n] for i in series.images for n in range(1, i.number_of_frames + 1)],
    }


def remember_shown(request, order: Order) -> None:
    """This session was shown the order's images, under a read just audited: the pictures
    the page then asks for are served without an entry each."""
    opened = set(request.session.get(SESSION_KEY, []))
    if order.pk not in opened:
        request.session[SESSION_KEY] = sorted(opened | {order.pk})


def show_viewer(request, order: Order, images: QuerySet[Instance], *, pictures_url: str,
                back_url: str, **audit_detail) -> HttpResponse:
    """The viewer page of `order`, its read audited. `images` holds what the reader may see
    of the order; `pictures_url` is where its pictures are served (viewer.js appends
    `<instance>/frames/<n>/`, the page `<instance>/thumbnail/`)."""
    series = series_of(images)
    frames = sum(len(s.images) for s in series)
    audit.record_read("images", "order", order.pk, patient_id=order.patient_id,
                      accession_number=order.accession_number, series=len(series),
                      instances=frames, **audit_detail)
    modalities = {s.modality for s in series}
    asked = request.GET.get("series", "")  # the study page links to one series
    start = next((n for n, s in enumerate(series) if s.series_instance_uid == asked), 0)
    return render(request, "portal/viewer.html", {
        "order": order, "series": series, "start": start,
        "pictures_url": pictures_url, "back_url": back_url,
        "viewer_data": {"series": [series_data(s) for s in series], "start": start},
        "presets": CT_PRESETS if "CT" in modalities else (),
    })


@reads_phi
@login_required
def viewer_page(request, order_id: int):
    order = visible_order(request, order_id)
    images = Instance.objects.restrict(request.user).filter(study__order=order)
    response = show_viewer(request, order, images,
                           pictures_url=reverse("portal:viewer", args=[order.pk]),
                           back_url=reverse("portal:study", args=[order.pk]))
    remember_shown(request, order)
    return response


def shown_order(request, order_id: int):
    """The order as a subquery, if this session was shown its images. The order's rule (the
    study page's) is checked again on every picture, in the same query, so a revoked access
    stops the pictures too."""
    if order_id not in request.session.get(SESSION_KEY, []):
        raise Http404("open the study's images first")
    return Order.objects.restrict(request.user).filter(pk=order_id)


def opened_instance(request, order_id: int, instance_id: int) -> Instance:
    """The instance, if it belongs to this order and this session opened its viewer."""
    visible = shown_order(request, order_id)
    return picture_among(Instance.objects.filter(study__order__in=visible), instance_id)


def picture_among(images: QuerySet[Instance], instance_id: int) -> Instance:
    """The image `instance_id`, if it is one of `images` and has pixels; else 404. The one
    query that fetches it also checks the reader's right, so no picture outlives it."""
    instance = images.filter(pk=instance_id).first()
    if instance is None or not instance.has_pixels:
        raise Http404("no such image in this study")
    return instance


def middle_image(request, order_id: int, series_id: int) -> Instance:
    """What a series' thumbnail shows: its middle image, of a series of this order."""
    visible = shown_order(request, order_id)
    images = Instance.objects.filter(
        series_id=series_id, study__order__in=visible, rows__isnull=False
    ).order_by("instance_number", "id")
    count = images.count()
    if not count:
        raise Http404("no such series in this study, or no image in it")
    return images[count // 2]


def window_from(raw: str) -> Window | None:
    if not raw:
        return None
    try:
        center, width = (float(v) for v in raw.split(","))
    except ValueError:
        raise ValueError("window must be centre,width: two numbers, e.g. 40,400") from None
    if not (abs(center) < 1e7 and 0 < width < 1e7):
        raise ValueError("window width must be positive and both values reasonable")
    return Window(center, width)


def jpeg(data: bytes) -> HttpResponse:
    return HttpResponse(data, content_type="image/jpeg")


@require_GET
@login_required
@cache_control(private=True, max_age=FRAME_CACHE_SECONDS)
def viewer_frame(request, order_id: int, instance_id: int, number: int):
    return frame_of(request, opened_instance(request, order_id, instance_id), number)


def frame_of(request, instance: Instance, number: int) -> HttpResponse:
    """Frame `number` of an image the reader may see, in the window asked for (?window=)."""
    if not 1 <= number <= instance.number_of_frames:
        return HttpResponse(f"frames of this image are numbered 1 to {instance.number_of_frames}",
                            status=400, content_type="text/plain")
    try:
        window = window_from(request.GET.get("window", ""))
    except ValueError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    if number == 1 and window is None and (cached := cached_rendering(instance, "rendered")):
        return jpeg(cached)
    try:
        return jpeg(render_frame(instance, number - 1, window=window,
                           max_size=(LARGEST_SIDE, LARGEST_SIDE)))
    except RenderError as error:
        return HttpResponse(str(error), status=422, content_type="text/plain")


@require_GET
@login_required
@cache_control(private=True, max_age=FRAME_CACHE_SECONDS)
def viewer_thumbnail(request, order_id: int, instance_id: int):
    return thumbnail_of(opened_instance(request, order_id, instance_id))


@require_GET
@login_required
@cache_control(private=True, max_age=FRAME_CACHE_SECONDS)
def series_thumbnail(request, order_id: int, series_id: int):
    """A study page's picture of one series, covered by that page's audited read."""
    return thumbnail_of(middle_image(request, order_id, series_id))


def thumbnail_of(instance: Instance) -> HttpResponse:
    if cached := cached_rendering(instance, "thumbnail"):
        return jpeg(cached)
    try:
        return jpeg(render_frame(instance, max_size=(THUMBNAIL_SIZE, THUMBNAIL_SIZE)))
    except RenderError as error:
        return HttpResponse(str(error), status=422, content_type="text/plain")
