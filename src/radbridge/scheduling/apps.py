from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "radbridge.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
