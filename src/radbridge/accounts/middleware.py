"""HTTP guards of accounts: bearer tokens on API paths, the actor's role in the audit
context, idle-session expiry, the second-factor gate and a few security headers.

Order in settings.MIDDLEWARE matters: ApiTokenMiddleware runs right after Django's
AuthenticationMiddleware (so the token's user is the request's user for everything after),
the role is added once the audit actor exists, and the second-factor gate runs last.
"""

from __future__ import annotations

import dataclasses
import json
import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from radbridge.core import audit
from radbridge.core.audit import acting_as, current_actor

from .permissions import requires_two_factor, role_of
from .services import tokens
from .services.twofactor import has_two_factor

SECOND_FACTOR_PENDING = "accounts.second_factor_pending"
LAST_ACTIVITY = "accounts.last_activity"
AUTHENTICATED_AT = "accounts.authenticated_at"


def allow_without_second_factor(view):
    """Mark a view reachable before the second factor (login, enrolment, challenge)."""
    view.allow_without_second_factor = True
    return view


def is_api_path(request) -> bool:
    return request.path.startswith(settings.API_TOKEN_PATH_PREFIXES)


def unauthorized(request, message: str) -> HttpResponse:
    if request.path.startswith("/fhir/"):
        body = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "login", "diagnostics": message}],
        }
        content_type = "application/fhir+json"
    else:
        body, content_type = {"error": "invalid_token", "error_description": message}, None
    response = HttpResponse(
        json.dumps(body), status=401, content_type=content_type or "application/json"
    )
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


class ApiTokenMiddleware:
    """`Authorization: Bearer <token>` on API paths sets request.user to the token's account,
    `request.auth_scopes` to its scopes (a tokens.Scopes) and `request.api_token` to it.
    Requests without the header keep their session user and `auth_scopes = None`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.auth_scopes = None
        request.api_token = None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header and is_api_path(request):
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return unauthorized(request, "use the header 'Authorization: Bearer <token>'")
            token = tokens.authenticate(value.strip())
            if token is None:
                return unauthorized(
                    request, "the token is unknown, expired or revoked: ask for a new one"
                )
            user = token.user
            user.token_patient_id = token.patient_id  # read by the permission rules
            user.token_scopes = tokens.Scopes(frozenset(token.scopes))  # and by RoleBackend
            request.user = request._cached_user = user
            request.api_token = token
            request.auth_scopes = user.token_scopes
            request._dont_enforce_csrf_checks = True  # no cookies involved: CSRF cannot apply
        return self.get_response(request)


class ActorRoleMiddleware:
    """Adds the user's role (and API token) to the audit actor set by core's middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        actor = dataclasses.replace(current_actor(), role=role_of(user) or "")
        if request.api_token is not None:
            name = f"{actor.name} token:{request.api_token.prefix}"
            actor = dataclasses.replace(actor, name=name)
        with acting_as(actor):
            return self.get_response(request)


class IdleTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_TIMEOUT_SECONDS without a request, and any session
    older than SESSION_COOKIE_AGE; the activity stamp is refreshed sparingly."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.api_token is None:
            expired = self.check(request)
            if expired:
                audit.record("auth.session_expired", "user", request.user.pk, reason=expired)
                logout(request)
                target = reverse(settings.LOGIN_URL)
                query = urlencode({"expired": "1", "next": request.get_full_path()})
                return HttpResponseRedirect(f"{target}?{query}")
        return self.get_response(request)

    def check(self, request) -> str:
        now = time.time()
        session = request.session
        idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
        last = session.get(LAST_ACTIVITY)
        started = session.setdefault(AUTHENTICATED_AT, now)
        if last is not None and now - last > idle:
            return "idle"
        if now - started > settings.SESSION_COOKIE_AGE:
            return "max_age"
        if last is None or now - last > min(60, idle / 4):
            session[LAST_ACTIVITY] = now
        return ""


class TwoFactorRequiredMiddleware:
    """Staff and physicians (and patients who chose a second factor) reach nothing but the
    enrolment and challenge pages until they have passed their second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or request.api_token is not None:
            return None
        if getattr(view_func, "allow_without_second_factor", False) or user.is_verified():
            return None
        if not (requires_two_factor(user) or request.session.get(SECOND_FACTOR_PENDING)):
            return None
        if is_api_path(request):
            return unauthorized(request, "log in with your second factor first")
        name = "portal:two_factor" if has_two_factor(user) else "portal:enrol"
        return HttpResponseRedirect(
            f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
        )


class SecurityHeadersMiddleware:
    """Headers Django does not set itself; pages for signed-in people are never cached
    (unless the view says how: the viewer's frames)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        )
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.user.is_authenticated or request.path.startswith("/share/"):
            # Unless the view chose: the viewer's frames are kept privately for minutes, so
            # scrolling back through a series does not render every picture again.
            response.setdefault("Cache-Control", "no-store")
        return response
