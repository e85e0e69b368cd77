"""Share codes: the patient's page (create, list, revoke) and the recipient's pages (code
and date of birth, then the shared study). The recipient needs no account; what opened is
remembered in their session only, and every view is counted and audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.accounts.middleware import allow_without_second_factor
from radbridge.accounts.models import ShareCode
from radbridge.accounts.permissions import get_visible_or_404, own_patient_ids
from radbridge.accounts.services import shares as share_service
from radbridge.accounts.services.errors import AccountsError
from radbridge.clinical.models import Order, ReportVersion

from ..forms import ShareForm, ShareOpenForm
from ..phi import reads_phi
from .util import roles_only

OPENED_SHARES = "portal.opened_shares"


@roles_only(Role.PATIENT)
@never_cache
def shares(request):
    """Create a share code for one of my studies; see and revoke my shares."""
    orders = Order.objects.restrict(request.user).order_by("-created_at")
    form = ShareForm(request.POST or None)
    new_code = None
    if request.method == "POST" and form.is_valid():
        order = get_visible_or_404(Order.objects, request.user, pk=request.POST.get("order"))
        try:
            _, new_code = share_service.create_share(
                request.user, order, form.expires_at, form.cleaned_data["label"],
                form.cleaned_data["max_views"],
            )
        except AccountsError as error:
            form.add_error(None, str(error))
    mine = (
        ShareCode.objects.filter(patient__in=own_patient_ids(request.user))
        .select_related("order").order_by("-created_at")
    )
    return render(request, "portal/patient/shares.html", {
        "form": form, "orders": orders, "shares": mine, "new_code": new_code,
        "chosen": request.POST.get("order") or request.GET.get("order", ""),
    })


@require_POST
@roles_only(Role.PATIENT)
def revoke_share(request, share_id: int):
    share = ShareCode.objects.filter(
        pk=share_id, patient__in=own_patient_ids(request.user)
    ).first()
    if share is None:
        raise Http404("no such share")
    share_service.revoke_share(request.user, share)
    messages.success(request, "The share code no longer works.")
    return redirect("portal:shares")


@allow_without_second_factor
@sensitive_post_parameters("code", "birth_date")
@never_cache
def share_open(request):
    """The recipient types the code and the patient's date of birth."""
    form = ShareOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            share = share_service.open_share(
                form.cleaned_data["code"], form.cleaned_data["birth_date"]
            )
        except AccountsError as error:
            form.add_error(None, str(error))
        else:
            opened = set(request.session.get(OPENED_SHARES, []))
            opened.add(share.pk)
            request.session[OPENED_SHARES] = sorted(opened)
            request.session.cycle_key()
            return redirect("portal:share_view", share.pk)
    return render(request, "portal/share/open.html", {"form": form})


@reads_phi
@allow_without_second_factor
@never_cache
def share_view(request, share_id: int):
    """The shared study, for a session that opened this share; 404 for anyone else."""
    if share_id not in request.session.get(OPENED_SHARES, []):
        raise Http404("no such share")
    share = ShareCode.objects.filter(pk=share_id).select_related("order", "patient").first()
    if share is None:
        raise Http404("no such share")
    try:
        share = share_service.record_share_view(share)
    except AccountsError as error:
        return render(request, "portal/share/gone.html", {"message": str(error)}, status=410)
    versions = list(
        ReportVersion.objects.filter(report__order=share.order)
        .select_related("radiologist").order_by("-number")[:1]
    )
    return render(request, "portal/share/view.html", {
        "share": share, "order": share.order, "current": versions[0] if versions else None,
    })
