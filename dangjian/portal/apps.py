from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "dangjian.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from dangjian.portal import panels  # noqa: F401  (registers the core's workbench panels)
