"""Message templates for centre administrators: what patients and physicians are told, per
kind, channel, language and site, edited with a live preview (HTMX posts the form as it is
typed and gets the rendered message back, over sample values). Saving goes through the
notify service, which refuses wording that does not compile or render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.clinical.choices import OrganizationKind
from radbridge.clinical.models import Organization
from radbridge.notify import templates
from radbridge.notify.choices import Channel, MessageKind
from radbridge.notify.defaults import default_for
from radbridge.notify.models import MessageTemplate
from radbridge.notify.services import TEMPLATE_FIELDS, save_template

from .. import navigation
from .util import needs_permission

navigation.add("Templates", "portal:templates", {Role.CENTRE_ADMIN}, order=75)
CHANGE_TEMPLATES = "notify.change_messagetemplate"


class TemplateForm(forms.Form):
    kind = forms.ChoiceField(label="Message", choices=MessageKind.choices)
    channel = forms.ChoiceField(label="Channel", choices=Channel.choices)
    language = forms.CharField(label="Language", max_length=10, initial="en",
                               help_text="e.g. en, fr, es")
    site = forms.ModelChoiceField(label="Site", required=False, empty_label="Every site",
                                  queryset=Organization.objects.none())
    subject = forms.CharField(label="Subject (email only)", max_length=200, required=False)
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 6}),
                           help_text="The SMS, or the plain-text part of the email.")
    html_body = forms.CharField(label="Email HTML (optional)", required=False,
                                widget=forms.Textarea(attrs={"rows": 6}),
                                help_text="Empty: made from the text.")
    active = forms.BooleanField(label="In use", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Organization.objects.filter(
            kind=OrganizationKind.IMAGING_SITE)
        preview = {"hx-post": "preview/", "hx-trigger": "input changed delay:400ms",
                   "hx-target": "#preview", "hx-include": "closest form"}
        for name in ("subject", "body", "html_body", "channel"):
            self.fields[name].widget.attrs.update(preview)


@needs_permission(CHANGE_TEMPLATES)
def template_list(request):
    return render(request, "portal/ops/templates.html", {
        "rows": MessageTemplate.objects.select_related("site"),
        "variables": list(templates.SAMPLE_CONTEXT),
    })


def edit(request, template: MessageTemplate | None):
    initial = {name: getattr(template, name) for name in TEMPLATE_FIELDS} if template else {}
    if template is None:
        kind, channel = request.GET.get("kind", ""), request.GET.get("channel", "sms")
        shipped = default_for(kind, channel, "en")
        initial = {"kind": kind, "channel": channel, "language": "en"}
        if shipped:
            initial.update(subject=shipped[0], body=shipped[1])
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_template(template, **{name: form.cleaned_data[name]
                                               for name in TEMPLATE_FIELDS})
        except templates.TemplateProblem as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, f"Template saved: {saved}. It is used from now on.")
            return redirect("portal:template", saved.pk)
    return render(request, "portal/ops/template_form.html", {
        "form": form, "template": template, "preview": preview_of(form),
        "variables": list(templates.SAMPLE_CONTEXT),
    }, status=400 if form.errors else 200)


@needs_permission(CHANGE_TEMPLATES)
def template_new(request):
    return edit(request, None)


@needs_permission(CHANGE_TEMPLATES)
def template_edit(request, template_id: int):
    template = MessageTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404("no such template")
    return edit(request, template)


def preview_of(form) -> dict:
    """The message as it would go out, over sample values; or what stops it."""
    data = form.data if form.is_bound else None

    def value(name: str) -> str:
        if data is not None:
            return data.get(name, "")
        return form.initial.get(name) or ""

    subject, body, html_body = value("subject"), value("body"), value("html_body")
    channel = value("channel") or "sms"
    try:
        templates.check_wording(subject, body, html_body)
        rendered = templates.render(templates.Wording(subject, body, html_body),
                                    templates.SAMPLE_CONTEXT, channel)
    except templates.TemplateProblem as problem:
        return {"problem": str(problem)}
    return {"rendered": rendered, "channel": channel, "length": len(rendered.body)}


@require_POST
@needs_permission(CHANGE_TEMPLATES)
def template_preview(request, template_id: int | None = None):
    form = TemplateForm(request.POST)
    return render(request, "portal/ops/_template_preview.html", {"preview": preview_of(form)})
