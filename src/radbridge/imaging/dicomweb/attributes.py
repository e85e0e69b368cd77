"""DICOM JSON (PS3.18 F.2) for index rows, and QIDO-RS matching keys onto index fields."""

from __future__ import annotations

import re
from datetime import date

from django.db.models import Q


class BadQuery(ValueError):
    """A QIDO-RS parameter that cannot be understood; the message names it."""


def element(vr: str, *values) -> dict:
    values = [v for v in values if v not in (None, "")]
    if not values:
        return {"vr": vr}
    if vr == "PN":
        values = [{"Alphabetic": str(v)} for v in values]
    elif vr == "DA":
        values = [v.strftime("%Y%m%d") if isinstance(v, date) else str(v) for v in values]
    return {"vr": vr, "Value": values}


def study_json(study, retrieve_url: str, series_count: int) -> dict:
    return {
        "00080020": element("DA", study.study_date),
        "00080030": element("TM", study.study_time),
        "00080050": element("SH", study.accession_number),
        "00080061": element("CS", *study.modality_list),
        "00080090": element("PN", study.referring_physician_name),
        "00081030": element("LO", study.study_description),
        "00081190": element("UR", retrieve_url),
        "00100010": element("PN", study.patient_name),
        "00100020": element("LO", study.patient_identifier),
        "00100030": element("DA", study.patient_birth_date),
        "00100040": element("CS", study.patient_sex),
        "0020000D": element("UI", study.study_instance_uid),
        "00200010": element("SH", study.study_id),
        "00201206": element("IS", series_count),
        "00201208": element("IS", study.instance_count),
    }


def series_json(series, study_uid: str, retrieve_url: str, instance_count: int) -> dict:
    return {
        "00080060": element("CS", series.modality),
        "0008103E": element("LO", series.series_description),
        "00081190": element("UR", retrieve_url),
        "00180015": element("CS", series.body_part_examined),
        "0020000D": element("UI", study_uid),
        "0020000E": element("UI", series.series_instance_uid),
        "00200011": element("IS", series.series_number),
        "00201209": element("IS", instance_count),
    }


def instance_json(instance, study_uid: str, series_uid: str, retrieve_url: str) -> dict:
    return {
        "00080016": element("UI", instance.sop_class_uid),
        "00080018": element("UI", instance.sop_instance_uid),
        "00081190": element("UR", retrieve_url),
        "0020000D": element("UI", study_uid),
        "0020000E": element("UI", series_uid),
        "00200013": element("IS", instance.instance_number),
        "00280008": element("IS", instance.number_of_frames),
        "00280010": element("US", instance.rows),
        "00280011": element("US", instance.columns),
    }


# keyword / tag -> (index field, how to match)
STUDY_KEYS = {
    ("StudyInstanceUID", "0020000D"): ("study_instance_uid", "uid"),
    ("PatientID", "00100020"): ("patient_identifier", "text"),
    ("PatientName", "00100010"): ("patient_name", "text"),
    ("AccessionNumber", "00080050"): ("accession_number", "text"),
    ("StudyDate", "00080020"): ("study_date", "date"),
    ("ModalitiesInStudy", "00080061"): ("modalities", "modality"),
    ("StudyID", "00200010"): ("study_id", "text"),
    ("StudyDescription", "00081030"): ("study_description", "text"),
    ("ReferringPhysicianName", "00080090"): ("referring_physician_name", "text"),
}
SERIES_KEYS = {
    ("SeriesInstanceUID", "0020000E"): ("series_instance_uid", "uid"),
    ("Modality", "00080060"): ("modality", "text"),
    ("SeriesNumber", "00200011"): ("series_number", "number"),
    ("SeriesDescription", "0008103E"): ("series_description", "text"),
}
INSTANCE_KEYS = {
    ("SOPInstanceUID", "00080018"): ("sop_instance_uid", "uid"),
    ("SOPClassUID", "00080016"): ("sop_class_uid", "uid"),
    ("InstanceNumber", "00200013"): ("instance_number", "number"),
}
CONTROL = {"limit", "offset", "includefield", "fuzzymatching"}


def matching(params, keys: dict) -> Q:
    """Q for the QIDO-RS matching keys in `params` that this level knows."""
    query = Q()
    for (keyword, tag), (field, how) in keys.items():
        raw = params.get(keyword, params.get(tag, params.get(tag.lower())))
        if raw in (None, ""):
            continue
        query &= MATCHERS[how](field, raw, keyword)
    return query


def match_uid(field: str, raw: str, keyword: str) -> Q:
    values = [v.strip() for v in re.split(r"[,\\]", raw) if v.strip()]
    return Q(**{f"{field}__in": values})


def match_text(field: str, raw: str, keyword: str) -> Q:
    """Exact, or with * and ? wildcards; names and texts case-insensitively."""
    if "*" in raw or "?" in raw:
        pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in raw)
        return Q(**{f"{field}__iregex": f"^{pattern}$"})
    return Q(**{f"{field}__iexact": raw})


def parse_date(value: str, keyword: str) -> date:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise BadQuery(f"{keyword}={value!r} is not a date (YYYYMMDD)") from None


def match_date(field: str, raw: str, keyword: str) -> Q:
    """YYYYMMDD, or a range: YYYYMMDD-YYYYMMDD, -YYYYMMDD, YYYYMMDD-."""
    if "-" not in raw:
        return Q(**{field: parse_date(raw, keyword)})
    start, _, end = raw.partition("-")
    query = Q()
    if start:
        query &= Q(**{f"{field}__gte": parse_date(start, keyword)})
    if end:
        query &= Q(**{f"{field}__lte": parse_date(end, keyword)})
    return query


def match_modality(field: str, raw: str, keyword: str) -> Q:
    query = Q()
    for modality in (m.strip().upper() for m in re.split(r"[,\\]", raw) if m.strip()):
        if not modality.isalnum():
            raise BadQuery(f"{keyword}={raw!r}: a modality is letters and digits")
        query |= Q(**{f"{field}__regex": rf"(^|,){modality}(,|$)"})
    return query


def match_number(field: str, raw: str, keyword: str) -> Q:
    try:
        return Q(**{field: int(raw)})
    except ValueError:
        raise BadQuery(f"{keyword}={raw!r} is not a whole number") from None


MATCHERS = {"uid": match_uid, "text": match_text, "date": match_date,
            "modality": match_modality, "number": match_number}


def paging(params, default_limit: int = 1000) -> tuple[int, int]:
    try:
        limit = int(params.get("limit", default_limit))
        offset = int(params.get("offset", 0))
    except ValueError:
        raise BadQuery("limit and offset are whole numbers") from None
    if limit < 0 or offset < 0:
        raise BadQuery("limit and offset cannot be negative")
    return min(limit, default_limit), offset
