from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "radbridge.portal"
    label = "portal"
    verbose_name = "Portal pages"
