"""Placing imaging orders online, and following them: "Place an order" and "My orders".

Open to users whose role grants `clinical.add_order` (referring physicians, the front desk,
centre administrators); everyone else gets 404. The patient list is
`orderable_patients(user)`. "My orders" are the visible orders this user placed (from the
audit trail of `order.placed`) or, for a physician, ordered in their name; the status column
refreshes by HTMX polling as the RIS moves each order along.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from radbridge.accounts.choices import Role
from radbridge.accounts.permissions import ordering_practitioner
from radbridge.clinical.errors import ClinicalRuleError
from radbridge.clinical.models import Order
from radbridge.core import audit
from radbridge.core.models import AuditEntry

from .. import navigation
from ..order_forms import PATIENT_CHOICES, OrderForm, OrderUploadForm, oversized_body
from ..ordering_intake import OrderUploadError, place_from_form, place_from_upload
from ..phi import reads_phi

PAGE_SIZE = 25
RECENT_PLACED = 500  # how far back "my orders" looks in the user's own placements
POLL_SECONDS = 5
SHOWN_KEY = "my_orders_shown"  # the order ids on the page this session last showed
ORDERING_ROLES = {Role.PHYSICIAN, Role.FRONT_DESK, Role.CENTRE_ADMIN}

navigation.add("Place an order", "portal:order_new", ORDERING_ROLES, order=30)
navigation.add("My orders", "portal:my_orders", ORDERING_ROLES, order=31)


def may_order(view):
    """The role table decides (`clinical.add_order`); others never learn the page exists."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.has_perm("clinical.add_order"):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return wrapper


def order_page(request, form=None, upload_form=None, status=200):
    find = request.GET.get("find", "").strip()
    form = form or OrderForm(user=request.user, find=find)
    patients = list(form.fields["patient"].queryset)
    audit.record_reads("order_form", "patient", [(p.pk, p.pk) for p in patients], query=find)
    return render(request, "portal/orders/new.html", {
        "form": form, "upload_form": upload_form or OrderUploadForm(), "find": find,
        "patients_listed": len(patients), "patients_limit": PATIENT_CHOICES,
    }, status=status)


def too_large(request, upload_only: bool):
    """A body over what the form can hold: refused from its declared length, unread."""
    problem = oversized_body(int(request.META.get("CONTENT_LENGTH") or 0), upload_only)
    if not problem:
        return None
    messages.error(request, problem)
    return order_page(request, status=413)


@reads_phi
@may_order
def new_order(request):
    if request.method != "POST":
        return order_page(request)
    if refused := too_large(request, upload_only=False):
        return refused
    form = OrderForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return order_page(request, form=form, status=400)
    try:
        order = place_from_form(request.user, form.cleaned_data)
    except ClinicalRuleError as error:
        form.add_error(None, f"The order could not be placed: {error}")
        return order_page(request, form=form, status=400)
    messages.success(request, f"Order {order.accession_number} placed: it is on its way to "
                              "the centre. Its status below changes as the centre works on it.")
    return redirect("portal:my_orders")


@reads_phi
@may_order
def upload_order(request):
    if request.method != "POST":
        return order_page(request)
    if refused := too_large(request, upload_only=True):
        return refused
    upload_form = OrderUploadForm(request.POST, request.FILES)
    if not upload_form.is_valid():
        return order_page(request, upload_form=upload_form, status=400)
    try:
        placed = place_from_upload(request.user, upload_form.cleaned_data["message"])
    except (OrderUploadError, ClinicalRuleError) as error:
        upload_form.add_error("message", str(error))
        return order_page(request, upload_form=upload_form, status=400)
    numbers = ", ".join(order.accession_number for order in placed)
    messages.success(request, f"Order {numbers} placed from the uploaded file.")
    return redirect("portal:my_orders")


def my_orders_page(request, polled: bool = False):
    """One page of my orders, audited as read. The status poll re-sends the same rows every
    few seconds: only rows the page this session shows did not already hold are audited
    again, so an open tab is one read per order, not one every five seconds."""
    placed = AuditEntry.objects.filter(
        action="order.placed", object_type="order",
        actor=f"user:{request.user.get_username()}",
    ).order_by("-id").values_list("object_id", flat=True)[:RECENT_PLACED]
    mine = Q(pk__in=[int(pk) for pk in placed if pk.isdigit()])
    doctor = ordering_practitioner(request.user)
    if doctor is not None:
        mine |= Q(ordering_practitioner=doctor)
    orders = (Order.objects.restrict(request.user).filter(mine)
              .select_related("patient", "report").order_by("-created_at", "-id"))
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    already = set(request.session.get(SHOWN_KEY, [])) if polled else set()
    audit.record_reads("my_orders", "order",
                       [(o.pk, o.patient_id) for o in page if o.pk not in already])
    shown = sorted(o.pk for o in page)
    if request.session.get(SHOWN_KEY) != shown:
        request.session[SHOWN_KEY] = shown
    return page


@reads_phi
@may_order
def my_orders(request):
    return render(request, "portal/orders/mine.html", {
        "page": my_orders_page(request), "poll_seconds": POLL_SECONDS,
    })


@reads_phi
@may_order
def my_orders_rows(request):
    """The table body alone, for HTMX to refresh the statuses in place."""
    return render(request, "portal/orders/_rows.html",
                  {"page": my_orders_page(request, polled=True)})
