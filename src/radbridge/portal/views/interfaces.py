"""The interface monitor for centre administrators: the HL7 journal (search, raw and parsed
side by side, replay), the outbound queue (retry), DICOM stores and system health.

Journal lists show only envelope data (type, control ID, sender, status); opening an entry
shows the whole message, which is PHI: that is an audited read naming the patient when we
know them. Replays and retries go through the hl7 app's audited services.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.core import audit, health, roles
from radbridge.hl7 import journal, outbound
from radbridge.hl7.choices import InboundStatus, OutboundStatus
from radbridge.hl7.inspection import inspect, patient_id_of
from radbridge.hl7.metrics import inbound_stats
from radbridge.hl7.models import InboundMessage, OutboundMessage
from radbridge.imaging.models import Instance, Study

from .. import navigation
from ..forms import DayRangeForm
from ..phi import reads_phi
from .util import is_htmx, needs_permission

navigation.add("Interfaces", "portal:health", {Role.CENTRE_ADMIN}, order=60)
PAGE_SIZE = 50
REPLAY_ALL_LIMIT = 1000  # one request's worth; the CLI replays any number


class JournalSearchForm(DayRangeForm):
    control_id = forms.CharField(label="Control ID", max_length=200, required=False)
    message_type = forms.CharField(label="Type", max_length=30, required=False,
                                   help_text="e.g. ORU^R01, or ORU for every ORU")
    sender = forms.CharField(label="Sender", max_length=200, required=False)
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("", "Any"), *((value, value.capitalize())
                                                       for value in InboundStatus.values)])
    field_order = ["control_id", "message_type", "sender", "status"]

    def filter(self, rows):
        data = self.cleaned_data
        if data["control_id"]:
            rows = rows.filter(control_id__icontains=data["control_id"].strip())
        if data["message_type"]:
            rows = rows.filter(message_type__istartswith=data["message_type"].strip())
        if data["sender"]:
            rows = rows.filter(sender_key__icontains=data["sender"].strip())
        if data["status"]:
            rows = rows.filter(status=data["status"])
        return self.within_days(rows, "received_at")


@needs_permission("hl7.view_inboundmessage")
def journal_list(request):
    form = JournalSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "portal/ops/journal.html", {"form": form}, status=400)
    rows = form.filter(InboundMessage.objects.defer("raw", "ack").order_by("-id"))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "portal/ops/_journal_rows.html" if is_htmx(request) else "portal/ops/journal.html"
    return render(request, template, {
        "form": form, "page": page, "query": query.urlencode(),
        "failed": InboundMessage.objects.filter(status=InboundStatus.FAILED).count(),
    })


@reads_phi
@needs_permission("hl7.view_inboundmessage")
def journal_entry(request, message_id: int):
    row = InboundMessage.objects.filter(pk=message_id).first()
    if row is None:
        raise Http404("no such journal entry")
    inspection = inspect(row)
    audit.record_read("hl7_message", "hl7_message", row.pk, patient_id=patient_id_of(inspection),
                      control_id=row.control_id, message_type=row.message_type)
    return render(request, "portal/ops/journal_entry.html", {
        "row": row, "inspection": inspection,
        "can_replay": row.status in (InboundStatus.FAILED, InboundStatus.REJECTED)
        and request.user.has_perm("hl7.change_inboundmessage"),
    })


@require_POST
@needs_permission("hl7.change_inboundmessage")
def journal_replay(request, message_id: int):
    if not InboundMessage.objects.filter(pk=message_id).exists():
        raise Http404("no such journal entry")
    status = journal.replay([message_id])[message_id]
    if status == InboundStatus.APPLIED:
        messages.success(request, "Replayed: the message is applied.")
    else:
        messages.error(request, f"Replayed, still {status}: read the error below, fix the "
                       "cause (or ask the sender to correct the message) and replay again.")
    return redirect("portal:journal_entry", message_id)


@require_POST
@needs_permission("hl7.change_inboundmessage")
def journal_replay_failed(request):
    """Replay every failed message, oldest first (as `radbridge hl7 replay`), once the cause
    of a run of failures is fixed; each replay is audited."""
    results = journal.replay(journal.failed_ids(limit=REPLAY_ALL_LIMIT))
    applied = sum(1 for status in results.values() if status == InboundStatus.APPLIED)
    still = len(results) - applied
    if still:
        messages.error(request, f"Replayed {len(results)}: {applied} applied, {still} still "
                       "failing (open each to read why).")
    else:
        messages.success(request, f"Replayed {len(results)}: all applied.")
    return redirect(f"{reverse('portal:journal')}?status={InboundStatus.FAILED}")


@needs_permission("hl7.view_outboundmessage")
def outbound_queue(request):
    status = request.GET.get("status", "")
    if status and status not in OutboundStatus.values:
        status = ""
    rows = OutboundMessage.objects.defer("raw").order_by("-id")
    if status:
        rows = rows.filter(status=status)
    counts = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("id")))
    return render(request, "portal/ops/outbound.html", {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "status": status, "statuses": [(value, label, counts.get(value, 0))
                                       for value, label in OutboundStatus.choices],
    })


@require_POST
@needs_permission("hl7.change_outboundmessage")
def outbound_retry(request, message_id: int):
    try:
        message = outbound.retry_now(message_id)
    except outbound.RetryRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{message.control_id} will be sent again within seconds.")
    return redirect("portal:outbound")


@needs_permission("core.view_heartbeat")
def system_health(request):
    since = timezone.now() - timedelta(hours=24)
    database_up, database_detail = health.database_reachable()
    context = {
        "roles": health.role_health(roles.role_names()),
        "lags": health.outbox_lag(),
        "disks": [health.disk_space(settings.RADBRIDGE_HOME),
                  health.disk_space(settings.STORAGES["dicom"]["OPTIONS"]["location"])],
        "database_up": database_up, "database_detail": database_detail,
        "hl7": inbound_stats(since=since),
        "dicom_senders": list(
            Instance.objects.filter(received_at__gte=since).values("received_from")
            .annotate(instances=Count("id"), last=Max("received_at"),
                      studies=Count("study", distinct=True))
            .order_by("-last")
        ),
        "studies_by_state": dict(Study.objects.values_list("reconciliation")
                                 .annotate(n=Count("id"))),
    }
    template = "portal/ops/_health.html" if is_htmx(request) else "portal/ops/health.html"
    return render(request, template, context)
