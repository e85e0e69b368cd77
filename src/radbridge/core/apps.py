from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "radbridge.core"
    label = "core"
    verbose_name = "RadBridge core"

    def ready(self):
        from . import jobs, outbox

        jobs.register_periodic("outbox-relay", outbox.relay_once, interval_seconds=0.5)
