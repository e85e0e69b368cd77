"""Users and roles, for centre administrators (everyone) and clinic administrators (their
clinic's physicians and administrators). Decisions are the permission service's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.accounts.permissions import (
    assignable_roles,
    can_manage_user,
    manageable_users,
    role_of,
)
from radbridge.accounts.services import users as user_service
from radbridge.accounts.services.errors import AccountsError
from radbridge.clinical.models import Organization

from ..forms import UserForm
from .util import roles_only

ADMINS = (Role.CENTRE_ADMIN, Role.CLINIC_ADMIN)
LINKS = ("practitioner", "clinic", "sites", "locations", "all_sites")


@roles_only(*ADMINS)
def users(request):
    people = manageable_users(request.user).select_related(
        "profile", "profile__clinic", "profile__practitioner"
    )
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(username__icontains=query) | people.filter(
            last_name__icontains=query
        )
    clinic = None
    if role_of(request.user) == Role.CLINIC_ADMIN:
        clinic = request.user.profile.clinic
    return render(request, "portal/admin/users.html", {
        "people": people[:200], "query": query, "clinic": clinic,
        "policy": getattr(clinic, "policy", None) if clinic else None,
    })


@roles_only(*ADMINS)
def user_create(request):
    form = UserForm(request.POST or None, roles=assignable_roles(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        clinic = data["clinic"]
        if role_of(request.user) == Role.CLINIC_ADMIN:
            clinic = request.user.profile.clinic
        try:
            user = user_service.create_account(
                data["username"], data["role"], email=data["email"],
                first_name=data["first_name"], last_name=data["last_name"],
                practitioner=data["practitioner"], clinic=clinic, sites=data["sites"],
                locations=data["locations"], all_sites=data["all_sites"],
            )
        except AccountsError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request, f"{user.get_username()} was created. They set a password with "
                "“Forgot your password?” on the sign-in page.",
            )
            return redirect("portal:user", user.pk)
    return render(request, "portal/admin/user_form.html", {"form": form, "creating": True})


def managed_or_404(request, user_id: int) -> User:
    target = manageable_users(request.user).filter(pk=user_id).first()
    if target is None or not can_manage_user(request.user, target):
        raise Http404("no such user")
    return target


@roles_only(*ADMINS)
def user_edit(request, user_id: int):
    target = managed_or_404(request, user_id)
    profile = getattr(target, "profile", None)
    initial = {
        "username": target.username, "first_name": target.first_name,
        "last_name": target.last_name, "email": target.email,
        "role": profile.role if profile else "",
        "practitioner": profile.practitioner_id if profile else None,
        "clinic": profile.clinic_id if profile else None,
        "sites": list(profile.sites.all()) if profile else [],
        "locations": list(profile.locations.all()) if profile else [],
        "all_sites": profile.all_sites if profile else False,
    }
    form = UserForm(request.POST or None, initial=initial, roles=assignable_roles(request.user),
                    editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_service.change_role(
                request.user, target, data["role"], **{name: data[name] for name in LINKS}
            )
        except AccountsError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            User.objects.filter(pk=target.pk).update(
                first_name=data["first_name"], last_name=data["last_name"], email=data["email"]
            )
            messages.success(request, "Saved.")
            return redirect("portal:user", target.pk)
    return render(request, "portal/admin/user_form.html", {"form": form, "target": target})


@require_POST
@roles_only(*ADMINS)
def user_action(request, user_id: int, action: str):
    target = managed_or_404(request, user_id)
    try:
        if action == "deactivate":
            user_service.set_active(request.user, target, False)
        elif action == "activate":
            user_service.set_active(request.user, target, True)
        elif action == "reset-2fa":
            user_service.reset_two_factor(request.user, target)
        else:
            raise Http404("no such action")
    except AccountsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Done.")
    return redirect("portal:user", target.pk)


@require_POST
@roles_only(*ADMINS)
def clinic_policy(request, clinic_id: int):
    clinic = Organization.objects.filter(pk=clinic_id, kind="clinic").first()
    if clinic is None:
        raise Http404("no such clinic")
    try:
        user_service.set_clinic_policy(
            request.user, clinic, request.POST.get("colleagues_see_orders") == "on"
        )
        messages.success(request, "Clinic policy saved.")
    except AccountsError as error:
        messages.error(request, str(error))
    return redirect("portal:users")
