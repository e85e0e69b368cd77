"""WADO-RS: instances, metadata, frames, rendered pictures and thumbnails."""

from __future__ import annotations

import json

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET
from pydicom import dcmread
from pydicom.encaps import get_frame
from pydicom.pixels import pixel_array
from pydicom.uid import UID

from ..models import Instance, Study
from ..rendering import THUMBNAIL_SIZE, RenderError, Window, cached_rendering, render
from ..storage import dicom_storage
from . import multipart
from .access import (
    DICOM_JSON,
    authenticated,
    instance_or_404,
    problem,
    record_read,
    series_or_404,
    study_or_404,
)

UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}


def located(request, study_uid, series_uid=None, instance_uid=None):
    """The visible study and, when named, its series and instance (404 otherwise)."""
    study = study_or_404(request.user, study_uid)
    series = series_or_404(study, series_uid) if series_uid else None
    instance = instance_or_404(series, instance_uid) if instance_uid else None
    return study, series, instance


def instances_of(study: Study, series=None, instance=None):
    if instance is not None:
        return [instance]
    rows = (series or study).instances.all()
    return list(rows.order_by("series_id", "instance_number", "id"))


@require_GET
@authenticated
def retrieve(request, study_uid, series_uid=None, instance_uid=None):
    study, series, instance = located(request, study_uid, series_uid, instance_uid)
    rows = instances_of(study, series, instance)
    record_read("retrieve", study, series_instance_uid=series_uid or "",
                sop_instance_uid=instance_uid or "", instances=len(rows))
    storage = dicom_storage()
    boundary = multipart.new_boundary()
    body = multipart.stream(
        (("application/dicom", multipart.file_chunks(storage.open(row.file_name, "rb")))
         for row in rows), boundary)
    return StreamingHttpResponse(
        body, content_type=multipart.content_type(boundary, "application/dicom"))


@require_GET
@authenticated
def metadata(request, study_uid, series_uid=None, instance_uid=None):
    study, series, instance = located(request, study_uid, series_uid, instance_uid)
    rows = instances_of(study, series, instance)
    record_read("metadata", study, series_instance_uid=series_uid or "",
                sop_instance_uid=instance_uid or "", instances=len(rows))
    storage = dicom_storage()
    results = []
    for row in rows:
        with storage.open(row.file_name, "rb") as source:
            dataset = dcmread(source, stop_before_pixels=True)
        item = dataset.to_json_dict()
        item["00020010"] = {"vr": "UI", "Value": [row.transfer_syntax_uid]}
        results.append(item)
    return HttpResponse(json.dumps(results), content_type=DICOM_JSON)


def frame_numbers(raw: str, instance: Instance) -> list[int]:
    numbers = [int(n) for n in raw.split(",") if n.strip().isdigit()]
    if not numbers or any(n < 1 or n > instance.number_of_frames for n in numbers):
        raise ValueError(f"frames are numbered 1 to {instance.number_of_frames}; asked {raw!r}")
    return numbers


def accepts_stored_syntax(request, syntax: str) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return "transfer-syntax=*" in accept or f"transfer-syntax={syntax}" in accept


@require_GET
@authenticated
def frames(request, study_uid, series_uid, instance_uid, frame_list):
    study, _, instance = located(request, study_uid, series_uid, instance_uid)
    try:
        numbers = frame_numbers(frame_list, instance)
    except ValueError as error:
        return problem(400, str(error))
    record_read("frames", study, sop_instance_uid=instance_uid, frames=numbers)
    with dicom_storage().open(instance.file_name, "rb") as source:
        dataset = dcmread(source)
    syntax = UID(instance.transfer_syntax_uid)
    if syntax in UNCOMPRESSED:
        size = len(dataset.PixelData) // instance.number_of_frames
        chunks = [dataset.PixelData[(n - 1) * size:n * size] for n in numbers]
        part_type = "application/octet-stream"
    elif syntax.is_encapsulated and accepts_stored_syntax(request, syntax):
        chunks = [get_frame(dataset.PixelData, n - 1, number_of_frames=instance.number_of_frames)
                  for n in numbers]
        part_type = f"application/octet-stream; transfer-syntax={syntax}"
    else:  # decode to native little endian, the default a client may always ask for
        try:
            chunks = [pixel_array(dataset, index=n - 1, raw=True).tobytes() for n in numbers]
        except Exception as error:  # noqa: BLE001 - decoders raise anything; say it
            return problem(406, f"frames cannot be decoded here ({error}); ask with "
                                f"transfer-syntax={syntax} to get them as stored")
        part_type = "application/octet-stream"
    boundary = multipart.new_boundary()
    body = b"".join(multipart.stream(((part_type, [chunk]) for chunk in chunks), boundary))
    return HttpResponse(body, content_type=multipart.content_type(boundary, part_type))


def picture_options(request) -> dict:
    options = {"image_format": "PNG" if "image/png" in request.META.get("HTTP_ACCEPT", "")
               else "JPEG"}
    if window := request.GET.get("window"):
        center, width = (float(v) for v in window.split(",")[:2])
        options["window"] = Window(center, width)
    if viewport := request.GET.get("viewport"):
        width, height = (int(v) for v in viewport.split(",")[:2])
        options["max_size"] = (width, height)
    if quality := request.GET.get("quality"):
        options["quality"] = max(1, min(100, int(quality)))
    return options


def picture(data: bytes, image_format: str) -> HttpResponse:
    return HttpResponse(data, content_type="image/png" if image_format == "PNG" else "image/jpeg")


@require_GET
@authenticated
def rendered(request, study_uid, series_uid, instance_uid, frame_list="1"):
    study, _, instance = located(request, study_uid, series_uid, instance_uid)
    try:
        number = frame_numbers(frame_list, instance)[0]
        options = picture_options(request)
    except ValueError as error:
        return problem(400, f"{error} (window=center,width viewport=w,h quality=1..100)")
    record_read("rendered", study, sop_instance_uid=instance_uid, frame=number)
    plain = number == 1 and options == {"image_format": "JPEG"}
    if plain and (cached := cached_rendering(instance, "rendered")):
        return picture(cached, "JPEG")
    try:
        return picture(render(instance, number - 1, **options), options["image_format"])
    except RenderError as error:
        return problem(406, str(error))


def representative(study: Study, series=None) -> Instance | None:
    """The middle image of the (first) series: what a thumbnail of the whole shows."""
    rows = (series or study).instances.filter(rows__isnull=False).order_by(
        "series__series_number", "series_id", "instance_number", "id")
    count = rows.count()
    return rows[count // 2] if count else None


@require_GET
@authenticated
def thumbnail(request, study_uid, series_uid=None, instance_uid=None):
    study, series, instance = located(request, study_uid, series_uid, instance_uid)
    instance = instance or representative(study, series)
    if instance is None or not instance.has_pixels:
        return problem(404, "nothing to show: no image in what was asked")
    record_read("thumbnail", study, sop_instance_uid=instance.sop_instance_uid)
    if cached := cached_rendering(instance, "thumbnail"):
        return picture(cached, "JPEG")
    try:  # not made yet by the background job: make this one now
        return picture(render(instance, max_size=(THUMBNAIL_SIZE, THUMBNAIL_SIZE)), "JPEG")
    except RenderError as error:
        return problem(406, str(error))
