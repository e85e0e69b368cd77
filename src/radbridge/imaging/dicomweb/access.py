"""Who may see what over DICOMweb, and the audit of what they read.

Every answer that shows images or their headers is a PHI read: it is audited through core's
`record_read` / `record_reads` (actions `read.dicomweb.*`, with the patient), so it appears
in "who has seen this patient's records" and in the patient's own access log, like a report
opened in the portal or read over FHIR.
"""

from __future__ import annotations

import functools
import json

from django.http import Http404, HttpResponse

from radbridge.core import audit

from ..models import Instance, Series, Study

DICOM_JSON = "application/dicom+json"


def problem(status: int, message: str, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps({"error": message}), status=status,
                            content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


# API tokens name DICOMweb access by the FHIR resource type of a study.
SCOPE_TYPE = "ImagingStudy"


def authenticated(view):
    """Anonymous requests get 401 and a challenge; everything else reaches the view."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return problem(401, "log in or send a bearer token to use DICOMweb",
                           WWW_Authenticate='Bearer realm="RadBridge DICOMweb"')
        access = "write" if request.method == "POST" else "read"
        scopes = getattr(request, "auth_scopes", None)  # a bearer token's, None for a session
        if scopes is not None and not scopes.allows(SCOPE_TYPE, access):
            return problem(403, f"this token's scopes do not include {SCOPE_TYPE}.{access}: "
                                "ask for a token with that scope",
                           WWW_Authenticate='Bearer error="insufficient_scope"')
        try:
            return view(request, *args, **kwargs)
        except Http404 as missing:
            return problem(404, str(missing) or "not found")

    return wrapper


def visible_studies(user):
    return Study.objects.restrict(user, "view")


def study_or_404(user, study_uid: str) -> Study:
    study = visible_studies(user).filter(study_instance_uid=study_uid).first()
    if study is None:
        raise Http404(f"no study {study_uid} that you may see")
    return study


def series_or_404(study: Study, series_uid: str) -> Series:
    series = study.series.filter(series_instance_uid=series_uid).first()
    if series is None:
        raise Http404(f"no series {series_uid} in study {study.study_instance_uid}")
    return series


def instance_or_404(series: Series, instance_uid: str) -> Instance:
    instance = series.instances.filter(sop_instance_uid=instance_uid).first()
    if instance is None:
        raise Http404(f"no instance {instance_uid} in series {series.series_instance_uid}")
    return instance


def record_read(what: str, study: Study, **detail) -> None:
    audit.record_read(f"dicomweb.{what}", "study", study.id, patient_id=study.patient_id,
                      study_instance_uid=study.study_instance_uid, **detail)


def record_search(level: str, studies: list[Study]) -> None:
    """One audit entry per study a search returned (one INSERT for all)."""
    audit.record_reads("dicomweb.search", "study", [(s.id, s.patient_id) for s in studies],
                       level=level)
