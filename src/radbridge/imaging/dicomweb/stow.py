"""STOW-RS: upload instances (multipart/related; type="application/dicom").

Each part goes through the same `store_instance` as a C-STORE: checked, written durably,
indexed, matched. The answer lists what was stored and what failed and why (PS3.18 10.5).
Uploading needs the `imaging.add_instance` permission. Requests that authenticate with a
bearer token are not subject to CSRF; session-authenticated uploads still are.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from ..header import STATUS_CANNOT_UNDERSTAND, StoreError
from ..indexing import store_instance
from . import multipart
from .access import DICOM_JSON, problem
from .attributes import element

# PS3.18 Table 10.5.3-1: the study named in the URL differs from the instance's.
STATUS_WRONG_STUDY = 0xA770

def csrf_failure(request):
    """A session-authenticated upload must carry the CSRF token; a bearer-token one need not."""
    if getattr(request, "api_token", None) is not None:
        return None
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})

def read_body(request) -> bytes:
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.DICOMWEB_MAX_UPLOAD_BYTES:
        raise multipart.BadMultipart(
            f"the upload is {declared} bytes, more than RADBRIDGE_DICOMWEB_MAX_UPLOAD_BYTES "
            f"({settings.DICOMWEB_MAX_UPLOAD_BYTES}): send fewer instances per request")
    return request.read(settings.DICOMWEB_MAX_UPLOAD_BYTES + 1)

def referenced(sop_class: str, sop_instance: str, **extra) -> dict:
    return {"00081150": element("UI", sop_class), "00081155": element("UI", sop_instance),
            **extra}

@csrf_exempt
def store(request, study_uid: str | None = None):
    if (refused := csrf_failure(request)) is not None:
        return refused
    if not request.user.has_perm("imaging.add_instance"):
        return problem(403, "uploading images needs the imaging.add_instance permission")
    try:
        boundary = multipart.boundary_of(request.META.get("CONTENT_TYPE", ""))
        uploads = multipart.parts(read_body(request), boundary)
    except multipart.BadMultipart as error:
        status = 415 if "multipart/related" in str(error) else 400
        return problem(status, f"{error}: send multipart/related; type=\"application/dicom\"")
    root = request.build_absolute_uri("/dicomweb/studies")
    stored, failed = [], []
    for headers, content in uploads:
        part_type = headers.get("content-type", "application/dicom").split(";")[0].strip()
        if part_type != "application/dicom":
            failed.append(referenced("", "", **{"00081197": element(
                "US", STATUS_CANNOT_UNDERSTAND)}))
            continue
        try:
            result = store_instance(content, received_from=f"stow:{request.user.get_username()}")
        except StoreError as error:
            failed.append(referenced("", "", **{"00081197": element("US", error.status)}))
            continue
        if study_uid and result.study_instance_uid != study_uid:
            failed.append(referenced(result.sop_class_uid, result.sop_instance_uid,
                                     **{"00081197": element("US", STATUS_WRONG_STUDY)}))
            continue
        url = (f"{root}/{result.study_instance_uid}/series/{result.series_instance_uid}"
               f"/instances/{result.sop_instance_uid}")
        stored.append(referenced(result.sop_class_uid, result.sop_instance_uid,
                                 **{"00081190": element("UR", url)}))
    answer = {"00081199": {"vr": "SQ", "Value": stored}} if stored else {}
    if failed:
        answer["00081198"] = {"vr": "SQ", "Value": failed}
    status = 200 if not failed else 202 if stored else 409
    return HttpResponse(json.dumps(answer), status=status, content_type=DICOM_JSON)
