"""Admin screens: templates with a live preview, preferences, the delivery log with filters,
resend, and a delivery-rate page that also shows the provider configuration's problems."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from radbridge.core.admin import PHIReadsAdmin

from . import checks, services, templates
from .delivery import mask
from .models import ContactPreference, Delivery, MessageTemplate

BAR_COLOURS = (("delivered", "#2e7d32"), ("sent", "#81c784"), ("waiting", "#90a4ae"),
               ("failed", "#ef6c00"), ("dead", "#c62828"), ("suppressed", "#bdbdbd"))


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["kind", "channel", "language", "site", "subject", "body", "html_body", "active"]

    def clean(self):
        data = super().clean()
        try:
            templates.check_wording(data.get("subject", ""), data.get("body", ""),
                                    data.get("html_body", ""))
        except templates.TemplateProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["kind", "channel", "language", "site", "subject", "active", "updated_at"]
    list_filter = ["kind", "channel", "language", "active"]
    readonly_fields = ["variables", "preview"]
    fieldsets = [
        (None, {"fields": ["kind", "channel", "language", "site", "active"]}),
        ("Wording", {"fields": ["subject", "body", "html_body", "variables"]}),
        ("Preview (sample values; save and continue editing to refresh)", {"fields": ["preview"]}),
    ]

    @admin.display(description="What a template may use")
    def variables(self, obj):
        return format_html_join(", ", "<code>{{{{ {} }}}}</code>",
                                ((name,) for name in templates.SAMPLE_CONTEXT))

    @admin.display(description="Preview")
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "save to see a preview"
        try:
            rendered = templates.render(
                templates.Wording(obj.subject, obj.body, obj.html_body),
                templates.SAMPLE_CONTEXT, obj.channel,
            )
        except templates.TemplateProblem as problem:
            return str(problem)
        return format_html(
            "<p><strong>{}</strong></p><pre style='white-space:pre-wrap'>{}</pre>"
            "<p>{} characters</p>{}",
            rendered.subject, rendered.body, len(rendered.body),
            format_html("<iframe sandbox srcdoc='{}' style='width:100%;height:16em'></iframe>",
                        rendered.html_body) if rendered.html_body else "",
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        templates.forget_cached_templates()


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "channels", "language", "opted_out", "time_zone"]
    list_filter = ["channels", "opted_out", "language"]
    raw_id_fields = ["patient", "practitioner"]


@admin.register(Delivery)
class DeliveryAdmin(PHIReadsAdmin):
    list_display = ["id", "created_at", "kind", "channel", "provider", "recipient_name",
                    "masked_address", "status", "attempts", "provider_message_id", "sent_at"]
    list_filter = ["status", "channel", "kind", "provider", "urgent", "created_at"]
    search_fields = ["key", "provider_message_id", "to_address", "recipient_name"]
    date_hierarchy = "created_at"
    actions = ["resend_selected"]
    list_select_related = True
    change_list_template = "admin/notify/delivery/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="to")
    def masked_address(self, obj):
        return mask(obj.to_address)

    def patient_of(self, obj) -> int | None:
        return obj.patient_id  # the log names patients and their messages: a PHI read

    @admin.action(description="Send the selected messages again")
    def resend_selected(self, request, queryset):
        queued = 0
        for delivery in queryset:
            try:
                services.resend(delivery)
                queued += 1
            except services.ResendRefused as refusal:
                self.message_user(request, str(refusal), messages.WARNING)
        if queued:
            self.message_user(request, f"{queued} message(s) queued again.", messages.SUCCESS)

    def get_urls(self):
        rates = self.admin_site.admin_view(self.rates_view)
        return [path("rates/", rates, name="notify_delivery_rates"), *super().get_urls()]

    def rates_view(self, request):
        rates = services.delivery_rates()
        for row in rates:
            total, left, row["bars"] = row["total"] or 1, 0.0, []
            for label, colour in BAR_COLOURS:
                width = 100 * row[label] / total
                if width:
                    row["bars"].append((label, colour, f"{left:.3f}", f"{width:.3f}"))
                left += width
        context = {
            **self.admin_site.each_context(request),
            "title": "Delivery rate per channel (last 7 days)",
            "rates": rates,
            "problems": checks.notification_configuration(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/notify/delivery_rates.html", context)
