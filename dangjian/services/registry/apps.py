from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "dangjian.services.registry"
    label = "registry"
    verbose_name = _("Member, cadre and talent registry")

    def ready(self) -> None:
        from dangjian.services.registry import demo, stats, workbench  # noqa: F401  (demo loader, figures, panel)
