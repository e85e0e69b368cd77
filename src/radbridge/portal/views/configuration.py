"""The settings page for centre administrators: what this process runs with, read-only
(configuration lives in the environment, 12-factor); secrets show only as set or not."""

from __future__ import annotations

from django.shortcuts import render

from radbridge.accounts.choices import Role
from radbridge.core import configuration

from .. import navigation
from .util import roles_only

navigation.add("Settings", "portal:settings", {Role.CENTRE_ADMIN}, order=85)


@roles_only(Role.CENTRE_ADMIN)
def settings_page(request):
    return render(request, "portal/ops/settings.html", {
        "running": configuration.running_settings(),
        "environment": configuration.environment_variables(),
    })
