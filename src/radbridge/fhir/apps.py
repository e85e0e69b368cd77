"""The fhir app: REST API under /fhir/, HL7 v2 conversion, webhook subscriptions."""

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "radbridge.fhir"
    label = "fhir"
    verbose_name = "FHIR API and webhooks"

    def ready(self):
        from radbridge.hl7 import converters

        from . import convert, subscriptions

        subscriptions.register()
        converters.register_converter("fhir", convert.message_to_bundle_text)
