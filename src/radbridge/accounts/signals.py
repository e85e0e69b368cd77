"""Audit entries for what Django's auth and django-axes announce: logins, failed logins,
logouts, lockouts, password changes."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from radbridge.core import audit
from radbridge.core.audit import Actor, acting_as

from .permissions import role_of


def actor_for(request, user=None, username: str = "") -> Actor:
    meta = getattr(request, "META", {}) if request is not None else {}
    name = user.get_username() if user is not None else username
    return Actor(
        name=f"user:{name}" if name else "anonymous",
        role=(role_of(user) or "") if user is not None else "",
        source_address=meta.get("REMOTE_ADDR", ""),
        user_agent=meta.get("HTTP_USER_AGENT", ""),
    )


def logged_in(sender, request, user, **kwargs):
    with acting_as(actor_for(request, user)):
        audit.record("auth.login", "user", user.pk)


def logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    with acting_as(actor_for(request, user)):
        audit.record("auth.logout", "user", user.pk, **kwargs.get("detail", {}))


def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    with acting_as(actor_for(request)):
        audit.record("auth.login_failed", "user", "", outcome="denied", username=username)


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    with acting_as(actor_for(request)):
        audit.record(
            "auth.lockout", "user", "", outcome="denied", username=str(username or "")[:150],
            ip_address=ip_address or "",
        )


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="accounts.audit.login")
    user_logged_out.connect(logged_out, dispatch_uid="accounts.audit.logout")
    user_login_failed.connect(login_failed, dispatch_uid="accounts.audit.login_failed")
    user_locked_out.connect(locked_out, dispatch_uid="accounts.audit.lockout")
