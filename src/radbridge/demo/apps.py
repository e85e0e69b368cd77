from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "radbridge.demo"
    label = "demo"
    verbose_name = "Demo centre"
