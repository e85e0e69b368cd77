"""The FHIR REST endpoints under /fhir/. Thin: negotiate, authenticate, check scopes, call
the query or write, audit what was read, render JSON.

Every endpoint is wrapped by `fhir_endpoint`: errors become OperationOutcome responses with
their status; anonymous callers get 401 with `WWW-Authenticate: Bearer`; a token whose
scopes do not cover the resource type and action gets 403; only JSON is spoken (406
otherwise). Bearer-token requests are exempt from CSRF (no cookie is involved); requests
authenticated by a session cookie are checked like any form post.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from radbridge.core import audit

from . import bundles, queries, scopes, slots
from .capability import capability_statement
from .mapping.schedule import slot_resource
from .outcomes import FHIRError, Reply, error_response, fhir_response, not_found
from .served import NOT_SERVED, SERVED, Served
from .writes import create

JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
ACCEPTABLE = ("*/*", "application/*", "application/json", "application/fhir+json")


def check_format(request) -> None:
    wanted = request.GET.get("_format")
    if wanted is not None and wanted.split(";")[0].strip().lower() not in JSON_FORMATS:
        raise FHIRError(
            406,
            "not-supported",
            f"_format={wanted!r} is not available: this server speaks JSON only "
            "(application/fhir+json); use _format=json or leave it out",
            expression="_format",
        )
    accept = request.headers.get("Accept", "")
    if accept and not any(kind in accept for kind in ACCEPTABLE):
        raise FHIRError(
            406,
            "not-supported",
            f"cannot answer in {accept!r}: this server speaks JSON only "
            "(Accept: application/fhir+json)",
        )


def check_authenticated(request) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise FHIRError(
            401,
            "login",
            "authentication required: send Authorization: Bearer <token> (or log in)",
            headers={"WWW-Authenticate": 'Bearer realm="RadBridge FHIR"'},
        )


def check_scope(request, resource_type: str, action: str) -> None:
    if not scopes.allowed(request, resource_type, action):
        raise FHIRError(
            403,
            "forbidden",
            f"the token's scopes do not allow {action} on {resource_type} "
            f"(needs e.g. user/{resource_type}.{action})",
            headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
        )


def check_csrf(request) -> None:
    """Session-authenticated writes need the CSRF token; bearer-token requests do not."""
    if getattr(request, "auth_scopes", None) is not None:
        return
    refusal = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
    if refusal is not None:
        raise FHIRError(
            403,
            "forbidden",
            "CSRF check failed: send the CSRF token with the session cookie, or use a bearer token",
        )


def fhir_endpoint(*methods: str, public: bool = False):
    """Wrap a view that returns a Reply: method check, negotiation, auth, errors."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise FHIRError(
                        405,
                        "not-supported",
                        f"{request.method} is not supported on {request.path} "
                        f"(allowed: {', '.join(methods)}); RadBridge does not update or "
                        "delete clinical records over FHIR",
                        headers={"Allow": ", ".join(methods)},
                    )
                check_format(request)
                if not public:
                    check_authenticated(request)
                if request.method != "GET":
                    check_csrf(request)
                reply = view(request, *args, **kwargs)
            except FHIRError as error:
                return error_response(error)
            pretty = request.GET.get("_pretty") == "true"
            return fhir_response(reply.resource, reply.status, reply.headers, pretty=pretty)

        return wrapped

    return decorate


def served(type_name: str) -> Served:
    spec = SERVED.get(type_name)
    if spec is not None:
        return spec
    if type_name in NOT_SERVED:
        raise FHIRError(404, "not-supported", NOT_SERVED[type_name])
    raise FHIRError(
        404,
        "not-supported",
        f"resource type {type_name!r} is not served here (served: {', '.join(SERVED)})",
    )


def record_reads(request, action: str, spec: Served, rows: list, included=()) -> None:
    """One audit entry per patient whose records the request read (a PHI read, so it shows
    in "who has seen this patient's records"), naming the resources read."""
    if not spec.phi and not any(target.phi for target, _ in included):
        return
    read: dict[int, list[str]] = defaultdict(list)
    for row in rows if spec.phi else ():
        read[spec.patient_of(row)].append(f"{spec.name}/{row.pk}")
    for target, row in included:
        if target.phi:
            read[target.patient_of(row)].append(f"{target.name}/{row.pk}")
    read.pop(None, None)
    for patient_id, resources in read.items():
        audit.record_read(
            f"fhir.{action}",
            spec.name,
            rows[0].pk if len(rows) == 1 else "",
            patient_id=patient_id,
            resources=resources,
            query=request.GET.urlencode()[:1000],
        )


@fhir_endpoint("GET", public=True)
def metadata(request):
    return Reply(capability_statement(bundles.base_url(request)))


@fhir_endpoint("GET", "POST")
def type_endpoint(request, type_name: str):
    if type_name == "Slot" and request.method == "GET":
        return search_slots(request, list(request.GET.lists()))
    spec = served(type_name)
    if request.method == "POST":
        check_scope(request, spec.name, "write")
        return create(request, spec)
    return search(request, spec, list(request.GET.lists()))


@fhir_endpoint("POST")
def search_by_post(request, type_name: str):
    if type_name == "Slot":
        return search_slots(request, list(request.GET.lists()) + list(request.POST.lists()))
    spec = served(type_name)
    pairs = list(request.GET.lists()) + list(request.POST.lists())
    return search(request, spec, pairs)


def search(request, spec: Served, lists: list[tuple[str, list[str]]]) -> Reply:
    check_scope(request, spec.name, "read")
    pairs = [(name, value) for name, values in lists for value in values]
    page = queries.search(spec, request.user, pairs)
    record_reads(request, "search", spec, page.rows, page.included)
    base = bundles.base_url(request)
    bundle = bundles.searchset(
        base,
        spec.name,
        [(k, v) for k, v in pairs if k not in ("_format", "_pretty")],
        [spec.to_fhir(row) for row in page.rows],
        [target.to_fhir(row) for target, row in page.included],
        offset=page.offset,
        count=page.count,
        has_next=page.has_next,
        total=page.total,
    )
    return Reply(bundle)


def search_slots(request, lists: list[tuple[str, list[str]]]) -> Reply:
    """Slots are computed, not stored: searched by the slots module (no PHI in them)."""
    check_scope(request, "Slot", "read")
    pairs = [(name, value) for name, values in lists for value in values]
    page = slots.search(request.user, pairs)
    bundle = bundles.searchset(
        bundles.base_url(request),
        "Slot",
        [(k, v) for k, v in pairs if k not in ("_format", "_pretty")],
        [slot_resource(slot) for slot in page.rows],
        [],
        offset=page.offset,
        count=page.count,
        has_next=page.has_next,
        total=page.total,
    )
    return Reply(bundle)


@fhir_endpoint("GET")
def instance(request, type_name: str, resource_id: str):
    if type_name == "Slot":
        check_scope(request, "Slot", "read")
        return Reply(slot_resource(slots.read(request.user, resource_id)))
    spec = served(type_name)
    check_scope(request, spec.name, "read")
    row = queries.read(spec, request.user, resource_id)
    record_reads(request, "read", spec, [row])
    resource = spec.to_fhir(row)
    headers = {}
    if "meta" in resource and "versionId" in resource["meta"]:
        headers["ETag"] = f'W/"{resource["meta"]["versionId"]}"'
    return Reply(resource, headers=headers)


def versions_of(request, type_name: str, resource_id: str) -> tuple[Served, object]:
    spec = served(type_name)
    if not spec.versioned:
        raise FHIRError(
            501,
            "not-supported",
            f"{spec.name} keeps no history here; only DiagnosticReport versions are kept",
        )
    check_scope(request, spec.name, "read")
    return spec, queries.read(spec, request.user, resource_id)


@fhir_endpoint("GET")
def history(request, type_name: str, resource_id: str):
    spec, report = versions_of(request, type_name, resource_id)
    record_reads(request, "history", spec, [report])
    versions = [spec.to_fhir(report, version) for version in report.versions.all()]
    return Reply(bundles.history(bundles.base_url(request), versions))


@fhir_endpoint("GET")
def version_read(request, type_name: str, resource_id: str, version_id: str):
    spec, report = versions_of(request, type_name, resource_id)
    version = next((v for v in report.versions.all() if str(v.number) == version_id), None)
    if version is None:
        raise not_found(f"{spec.name}/{resource_id}/_history", version_id)
    record_reads(request, "vread", spec, [report])
    return Reply(spec.to_fhir(report, version), headers={"ETag": f'W/"{version.number}"'})


@fhir_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_implemented(request, *args, **kwargs):
    raise FHIRError(
        501,
        "not-supported",
        f"{request.method} {request.path} is not implemented: RadBridge serves read, search, "
        "the version history of reports, create of Patient, ServiceRequest and Appointment "
        "(booking a Slot), and $convert-hl7v2 (see /fhir/metadata)",
    )


@fhir_endpoint("GET", "POST", "PUT", "PATCH", "DELETE", public=True)
def unknown(request, *args, **kwargs):
    raise FHIRError(404, "not-found", f"nothing at {request.path}: see /fhir/metadata")
