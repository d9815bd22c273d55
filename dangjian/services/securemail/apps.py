from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecureMailConfig(AppConfig):
    name = "dangjian.services.securemail"
    label = "securemail"
    verbose_name = _("Encrypted mail network")

    def ready(self) -> None:
        from dangjian.portal import workbench
        from dangjian.services.securemail import demo  # noqa: F401  (registers the demo loader)
        from dangjian.services.securemail.views import workbench_panels

        workbench.register(workbench_panels)
