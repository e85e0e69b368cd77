from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "radbridge.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from radbridge.core import jobs, outbox

        from . import checks, delivery, planner, reminders  # noqa: F401 - checks register

        outbox.register_consumer("notify", planner.TOPICS, planner.handle_event,
                                 handle_batch=planner.handle_events)
        jobs.register_periodic("notify-send", delivery.send_due, interval_seconds=0.2)
        jobs.register_periodic("notify-reminders", reminders.plan_reminders, interval_seconds=60)
