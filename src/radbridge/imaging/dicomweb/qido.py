"""QIDO-RS: search studies, a study's series, and a series' (or study's) instances."""

from __future__ import annotations

import json

from django.db.models import Count
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from .access import (
    DICOM_JSON,
    authenticated,
    problem,
    record_search,
    series_or_404,
    study_or_404,
    visible_studies,
)
from .attributes import (
    INSTANCE_KEYS,
    SERIES_KEYS,
    STUDY_KEYS,
    BadQuery,
    instance_json,
    matching,
    paging,
    series_json,
    study_json,
)


def base_url(request) -> str:
    return request.build_absolute_uri("/dicomweb")


def answer(results: list[dict]) -> HttpResponse:
    return HttpResponse(json.dumps(results), content_type=DICOM_JSON)


@require_GET
@authenticated
def search_studies(request):
    try:
        query = matching(request.GET, STUDY_KEYS)
        limit, offset = paging(request.GET)
    except BadQuery as error:
        return problem(400, str(error))
    studies = list(
        visible_studies(request.user).filter(query)
        .annotate(series_count=Count("series", distinct=True))
        .order_by("-study_date", "-id")[offset:offset + limit]
    )
    record_search("studies", studies)
    root = base_url(request)
    return answer([
        study_json(s, f"{root}/studies/{s.study_instance_uid}", s.series_count)
        for s in studies
    ])


@require_GET
@authenticated
def search_series(request, study_uid: str):
    study = study_or_404(request.user, study_uid)
    try:
        query = matching(request.GET, SERIES_KEYS)
        limit, offset = paging(request.GET)
    except BadQuery as error:
        return problem(400, str(error))
    series = list(
        study.series.filter(query).annotate(instance_count=Count("instances"))
        .order_by("series_number", "id")[offset:offset + limit]
    )
    record_search("series", [study])
    root = f"{base_url(request)}/studies/{study_uid}/series"
    return answer([
        series_json(s, study_uid, f"{root}/{s.series_instance_uid}", s.instance_count)
        for s in series
    ])


@require_GET
@authenticated
def search_instances(request, study_uid: str, series_uid: str | None = None):
    study = study_or_404(request.user, study_uid)
    instances = study.instances.select_related("series")
    if series_uid is not None:
        instances = instances.filter(series=series_or_404(study, series_uid))
    try:
        instances = instances.filter(matching(request.GET, INSTANCE_KEYS))
        limit, offset = paging(request.GET)
    except BadQuery as error:
        return problem(400, str(error))
    rows = list(instances.order_by("series__series_number", "instance_number", "id")
                [offset:offset + limit])
    record_search("instances", [study])
    root = f"{base_url(request)}/studies/{study_uid}/series"
    return answer([
        instance_json(i, study_uid, i.series.series_instance_uid,
                      f"{root}/{i.series.series_instance_uid}/instances/{i.sop_instance_uid}")
        for i in rows
    ])
