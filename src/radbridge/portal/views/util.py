"""Small things every portal view uses: safe redirects, role and permission gates, HTMX."""

from __future__ import annotations

from functools import wraps

from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from radbridge.accounts.choices import Role
from radbridge.accounts.permissions import role_of


def safe_next_url(request) -> str:
    """?next= when it points back into this site, else "" (never a link to elsewhere)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def safe_next(request, default: str = "portal:home"):
    """Redirect to ?next= when it points back into this site, else to `default`."""
    return redirect(safe_next_url(request) or default)


def roles_only(*roles):
    """Pages for some roles: anyone else gets 404 (a page they need not know exists)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if role_of(request.user) not in roles:
                raise Http404("no such page")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def is_htmx(request) -> bool:
    """A request from HTMX, which wants only the part of the page it replaces."""
    return request.headers.get("HX-Request") == "true"


def needs_permission(permission: str):
    """For users whose role grants `permission` (accounts.backends); 404 for the others."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise Http404("no such page")
            return view(request, *args, **kwargs)

        return roles_only(*Role.values)(wrapper)

    return decorate
