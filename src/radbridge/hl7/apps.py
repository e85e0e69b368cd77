from django.apps import AppConfig


class Hl7Config(AppConfig):
    name = "radbridge.hl7"
    label = "hl7"
    verbose_name = "HL7 v2 interface"

    def ready(self):
        from radbridge.core import jobs

        from . import filedrop, outbound

        outbound.register()
        jobs.register_periodic("hl7-inbox", filedrop.poll_inbox, interval_seconds=1.0)
