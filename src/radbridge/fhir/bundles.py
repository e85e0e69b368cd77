"""Bundles the API answers with: search results (with paging links and included resources)
and the version history of a resource."""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone

from .mapping.common import instant


def base_url(request) -> str:
    """The service base (`https://host/fhir`): configured, else from the request."""
    from django.conf import settings

    return settings.FHIR_BASE_URL or request.build_absolute_uri("/fhir").rstrip("/")


def page_link(base: str, type_name: str, pairs: list[tuple[str, str]], offset: int, count: int):
    query = [(k, v) for k, v in pairs if k not in ("_offset", "_count")]
    query += [("_count", str(count)), ("_offset", str(offset))]
    return f"{base}/{type_name}?{urlencode(query)}"


def searchset(
    base: str,
    type_name: str,
    pairs: list[tuple[str, str]],
    matches: list[dict],
    included: list[dict],
    *,
    offset: int,
    count: int,
    has_next: bool,
    total: int | None,
) -> dict:
    links = [{"relation": "self", "url": page_link(base, type_name, pairs, offset, count)}]
    if has_next:
        links.append(
            {"relation": "next", "url": page_link(base, type_name, pairs, offset + count, count)}
        )
    if offset > 0:
        previous = max(0, offset - count)
        links.append(
            {"relation": "previous", "url": page_link(base, type_name, pairs, previous, count)}
        )
    bundle: dict = {
        "resourceType": "Bundle",
        "type": "searchset",
        "meta": {"lastUpdated": instant(timezone.now())},
    }
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    entries = [entry(base, resource, "match") for resource in matches]
    entries += [entry(base, resource, "include") for resource in included]
    if entries:
        bundle["entry"] = entries
    return bundle


def entry(base: str, resource: dict, mode: str) -> dict:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def history(base: str, versions: list[dict]) -> dict:
    """`versions` newest first, each a resource with meta.versionId and meta.lastUpdated."""
    entries = []
    for resource in versions:
        first = resource["meta"]["versionId"] == "1"
        url = f"{resource['resourceType']}/{resource['id']}"
        entries.append(
            {
                "fullUrl": f"{base}/{url}",
                "resource": resource,
                "request": {"method": "POST" if first else "PUT", "url": url},
                "response": {
                    "status": "201 Created" if first else "200 OK",
                    "etag": f'W/"{resource["meta"]["versionId"]}"',
                    "lastModified": resource["meta"]["lastUpdated"],
                },
            }
        )
    bundle = {"resourceType": "Bundle", "type": "history", "total": len(entries)}
    if entries:
        bundle["entry"] = entries
    return bundle
