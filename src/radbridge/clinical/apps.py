from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "radbridge.clinical"
    label = "clinical"
    verbose_name = "Clinical record"
