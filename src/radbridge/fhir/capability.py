"""GET /fhir/metadata: the CapabilityStatement, built from what is actually served."""

from __future__ import annotations

from django.utils import timezone

import radbridge

from . import slots
from .mapping.common import instant
from .served import NOT_SERVED, SERVED

CONVERT_OPERATION = "urn:radbridge:fhir:OperationDefinition:convert-hl7v2"


def search_param(name: str, param) -> dict:
    found = {"name": name, "type": param.kind}
    if param.documentation:
        found["documentation"] = param.documentation
    return found


def resource_capability(spec) -> dict:
    interactions = [{"code": "read"}, {"code": "search-type"}]
    if spec.versioned:
        interactions += [{"code": "vread"}, {"code": "history-instance"}]
    if spec.create:
        interactions.append({"code": "create"})
    found = {
        "type": spec.name,
        "interaction": interactions,
        "versioning": "versioned" if spec.versioned else "no-version",
        "readHistory": spec.versioned,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [search_param(name, param) for name, param in sorted(spec.params.items())],
    }
    if spec.includes:
        found["searchInclude"] = sorted(spec.includes)
    return found


def capability_statement(base: str) -> dict:
    unserved = "; ".join(NOT_SERVED.values())
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(timezone.now()),
        "kind": "instance",
        "software": {"name": "RadBridge", "version": radbridge.__version__},
        "implementation": {"description": "RadBridge FHIR R4 API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "JSON only. Search results page with _count (at most 500) and _offset "
                    "links. ImagingStudy resources name RadBridge's DICOMweb service "
                    "(WADO-RS, QIDO-RS, STOW-RS) as their endpoint. "
                    "Slots are computed from schedules: search them by schedule, start, "
                    "status and service-type over at most 92 days; POST Appointment with one "
                    "free slot and the patient books it (409 when the slot is taken)."
                    + (f" Not served yet: {unserved}." if unserved else "")
                ),
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": (
                        "Bearer tokens of integration and patient accounts, with SMART v1 "
                        "scopes (patient|user|system/<Type|*>.<read|write|*>), or a logged-in "
                        "session. Every resource is filtered by the same object permissions "
                        "as the portal."
                    ),
                },
                "resource": [resource_capability(spec) for spec in SERVED.values()]
                + [slots.capability()],
                "operation": [{"name": "convert-hl7v2", "definition": CONVERT_OPERATION}],
            }
        ],
    }
