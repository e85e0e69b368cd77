"""SMART on FHIR scopes: may this request read or write this resource type?

A bearer token's scopes are put on the request (`request.auth_scopes`) by the accounts
app's middleware; an interactive session has none (`None`) and is limited only by object
permissions. Scopes follow SMART v1 (`patient/Observation.read`, `user/*.*`,
`system/Patient.write`); the v2 letters (`.rs`, `.cruds`) are understood too. The
`patient/` context narrows nothing here: which patient a token stands for is an object
permission, applied by `restrict()` on every queryset.
"""

from __future__ import annotations

import re

SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Za-z]+)\.(\*|read|write|[cruds]+)$")
V2_LETTERS = {"read": set("rs"), "write": set("cud")}


def scope_allows(scope: str, resource_type: str, action: str) -> bool:
    match = SCOPE.match(scope.strip())
    if match is None:
        return False
    _, scoped_type, permission = match.groups()
    if scoped_type not in ("*", resource_type):
        return False
    if permission in ("*", action):
        return True
    return permission not in ("read", "write") and bool(set(permission) & V2_LETTERS[action])


def allowed(request, resource_type: str, action: str) -> bool:
    """True when the request's scopes (if it has any) grant `action` on `resource_type`."""
    scopes = getattr(request, "auth_scopes", None)
    if scopes is None:
        return True
    return any(scope_allows(scope, resource_type, action) for scope in scopes)
