"""Sites and their rooms, for centre administrators: create or rename an imaging site, and
place each room (as the RIS names it in its messages) in a site. Staff access by site
follows these links, so changes go through the audited clinical services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.clinical.choices import OrganizationKind
from radbridge.clinical.errors import ClinicalRuleError
from radbridge.clinical.models import Location, Organization
from radbridge.clinical.services import place_location, save_site

from .. import navigation
from .util import needs_permission

navigation.add("Sites", "portal:sites", {Role.CENTRE_ADMIN}, order=70)
CHANGE_SITES = "clinical.change_organization"


class SiteForm(forms.Form):
    name = forms.CharField(label="Site name", max_length=200)
    identifier = forms.CharField(label="Code", max_length=100,
                                 help_text="Short and unique, e.g. NORTH")


def sites_of_centre():
    return Organization.objects.filter(kind=OrganizationKind.IMAGING_SITE).order_by("name")


@needs_permission(CHANGE_SITES)
def sites(request):
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = save_site(form.cleaned_data["name"], form.cleaned_data["identifier"])
        except ClinicalRuleError as error:
            form.add_error("identifier" if "code" in str(error) else None, str(error))
        else:
            messages.success(request, f"Site {site.name} created.")
            return redirect("portal:sites")
    return render(request, "portal/ops/sites.html", {
        "form": form,
        "sites": sites_of_centre().annotate(rooms=Count("locations")),
        "locations": Location.objects.select_related("organization").order_by("code")[:500],
    }, status=400 if form.errors else 200)


@require_POST
@needs_permission(CHANGE_SITES)
def site_rename(request, site_id: int):
    site = sites_of_centre().filter(pk=site_id).first()
    if site is None:
        raise Http404("no such site")
    try:
        save_site(request.POST.get("name", ""), request.POST.get("identifier", ""), site)
        messages.success(request, "Site saved.")
    except ClinicalRuleError as error:
        messages.error(request, f"Not saved: {error}.")
    return redirect("portal:sites")


@require_POST
@needs_permission(CHANGE_SITES)
def place_room(request):
    chosen = request.POST.get("site", "")
    site = sites_of_centre().filter(pk=chosen).first() if chosen.isdigit() else None
    if chosen and site is None:
        messages.error(request, "Not saved: choose a site from the list.")
        return redirect("portal:sites")
    try:
        room = place_location(request.POST.get("code", ""), site, request.POST.get("name", ""))
    except ClinicalRuleError as error:
        messages.error(request, f"Not saved: {error}.")
    else:
        where = site.name if site else "no site"
        messages.success(request, f"Room {room.code} is now in {where}.")
    return redirect("portal:sites")
