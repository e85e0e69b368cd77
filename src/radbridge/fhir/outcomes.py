"""Errors as FHIR OperationOutcome resources, and the JSON responses the API sends.

Every failure of the API is a `FHIRError`: an HTTP status, an issue code from the FHIR
IssueType value set, a sentence saying what was wrong and what to do, and, when one element
of the request is at fault, its FHIRPath-style expression (`Patient.identifier[0].value`,
or the search parameter's name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"


class FHIRError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        expression: str | None = None,
        headers: dict[str, str] | None = None,
        more_issues: list[dict] | None = None,
    ):
        super().__init__(diagnostics)
        self.more_issues = more_issues or []
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression
        self.headers = headers or {}

    def outcome(self) -> dict:
        return operation_outcome([issue("error", self.code, self.diagnostics, self.expression)])


@dataclass
class Reply:
    """What an endpoint answers: a resource, its status and extra headers."""

    resource: dict
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def issue(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict:
    found = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = [expression]
    return found


def operation_outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def fhir_response(
    resource: dict, status: int = 200, headers: dict[str, str] | None = None, pretty=False
) -> HttpResponse:
    text = (
        json.dumps(resource, indent=2, ensure_ascii=False)
        if pretty
        else json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
    )
    response = HttpResponse(
        text,
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FHIRError) -> HttpResponse:
    return fhir_response(error.outcome(), error.status, error.headers)


def bad_parameter(name: str, text: str) -> FHIRError:
    return FHIRError(400, "invalid", f"search parameter {name!r}: {text}", expression=name)


def not_found(resource_type: str, resource_id: str) -> FHIRError:
    return FHIRError(
        404,
        "not-found",
        f"{resource_type}/{resource_id} is not known here (or not visible to you)",
    )
