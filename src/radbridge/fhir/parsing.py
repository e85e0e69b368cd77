"""Reading FHIR input: structure checks with the fhir.resources R4B models, dates and times.

fhir.resources (pydantic) reports errors by location (`('identifier', 0, 'system')`); they
are turned into FHIRPath-style expressions (`Patient.identifier[0].system`) so the client
is told which element to fix.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from pydantic import ValidationError

from .outcomes import FHIRError, issue


def expression(type_name: str, location: tuple) -> str:
    path = type_name
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_structure(body: dict) -> None:
    type_name = body["resourceType"]
    module = importlib.import_module(f"fhir.resources.R4B.{type_name.lower()}")
    try:
        getattr(module, type_name).model_validate(body)
    except ValidationError as error:
        problems = error.errors()
        first = problems[0]
        more = [
            issue(
                "error",
                "structure",
                f"{expression(type_name, p['loc'])}: {p['msg']}",
                expression(type_name, p["loc"]),
            )
            for p in problems[1:20]
        ]
        raise FHIRError(
            400,
            "structure",
            f"{expression(type_name, first['loc'])}: {first['msg']}",
            expression(type_name, first["loc"]),
            more_issues=more,
        ) from None


def parse_fhir_date(text: str, element: str) -> date:
    try:
        found = parse_date(text)
    except ValueError:
        found = None
    if found is None:
        raise FHIRError(400, "invalid", f"{element}: {text!r} is not a date (YYYY-MM-DD)", element)
    return found


def parse_fhir_datetime(text: str, element: str) -> datetime:
    try:
        found = parse_datetime(text)
    except ValueError:
        found = None
    if found is None:
        day = parse_fhir_date(text, element)
        found = datetime(day.year, day.month, day.day)
    return found if timezone.is_aware(found) else timezone.make_aware(found)


def parameters_text(raw: bytes) -> str:
    """The HL7 v2 message of a `Parameters` body: parameter `message` (or `input`), as
    valueString or valueBase64Binary."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FHIRError(400, "structure", f"the body is not JSON: {error}") from None
    parameters = body.get("parameter") if isinstance(body, dict) else None
    if body.get("resourceType") != "Parameters" or not isinstance(parameters, list):
        raise FHIRError(
            400,
            "invalid",
            "send the message as text/plain, or as a Parameters resource with a 'message' "
            "parameter (valueString)",
            "Parameters",
        )
    for number, parameter in enumerate(parameters):
        if not isinstance(parameter, dict) or parameter.get("name") not in ("message", "input"):
            continue
        if isinstance(parameter.get("valueString"), str):
            return parameter["valueString"]
        try:
            return base64.b64decode(parameter.get("valueBase64Binary", ""), validate=True).decode(
                "utf-8"
            )
        except (binascii.Error, UnicodeDecodeError, TypeError):
            raise FHIRError(
                400,
                "invalid",
                "valueBase64Binary is not base64 of UTF-8 text",
                f"Parameters.parameter[{number}]",
            ) from None
    raise FHIRError(400, "required", "no 'message' parameter in the body", "Parameters.parameter")
