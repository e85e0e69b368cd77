from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "radbridge.core"
    label = "core"
    verbose_name = "RadBridge core"

    def ready(self):
        from . import jobs, outbox, roles, services

        jobs.register_periodic("outbox-relay", outbox.relay_once, interval_seconds=0.2)
        roles.register_role("web", services.WebServer)
        roles.register_role("worker", services.Worker)
