"""May this request read or write this resource type? Bearer tokens carry scopes.

The accounts app's middleware puts a token's scopes on the request (`request.auth_scopes`,
with `allows(resource_type, "read"|"write")`, SMART on FHIR style); an interactive session
has none (`None`) and is limited only by object permissions, applied by `restrict()`.
"""

from __future__ import annotations


def allowed(request, resource_type: str, action: str) -> bool:
    """True when the request's scopes (if it has any) grant `action` on `resource_type`."""
    scopes = getattr(request, "auth_scopes", None)
    return scopes is None or scopes.allows(resource_type, action)
