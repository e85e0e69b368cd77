"""TEST-ONLY stand-in for the accounts app's bearer-token middleware (not production code).

The accounts app (not merged yet) will set `request.user` and `request.auth_scopes` for
`Authorization: Bearer <token>` on API paths. This stand-in does the same from a dict the
tests fill, so the FHIR API's scope checks and object permissions are tested against the
contract, not against accounts' code.
"""

from django.contrib.auth.models import User

TOKENS: dict[str, tuple[int, list[str]]] = {}


class BearerStandIn:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and request.path.startswith("/fhir/"):
            found = TOKENS.get(header.removeprefix("Bearer ").strip())
            if found is not None:
                request.user = User.objects.get(pk=found[0])
                request.auth_scopes = found[1]
        return self.get_response(request)
