from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "dangjian.services.sms"
    label = "sms"
    verbose_name = _("Bulk SMS")

    def ready(self) -> None:
        from dangjian.services.sms import stats, workbench  # noqa: F401  (register the figures and the panel)
