from django.apps import AppConfig


class Hl7Config(AppConfig):
    name = "radbridge.hl7"
    label = "hl7"
    verbose_name = "HL7 v2 interface"

    def ready(self):
        from django.conf import settings

        from radbridge.core import jobs, roles

        from . import filedrop, journal, listener, outbound

        outbound.register()
        jobs.register_periodic("hl7-inbox", filedrop.poll_inbox, interval_seconds=1.0)
        jobs.register_periodic(
            "hl7-journal-retention",
            lambda: journal.prune(settings.HL7_JOURNAL_RETENTION_DAYS),
            interval_seconds=24 * 3600,
        )
        roles.register_role(
            "mllp", lambda: listener.MLLPListener(settings.BIND_ADDRESS, settings.MLLP_PORT)
        )
