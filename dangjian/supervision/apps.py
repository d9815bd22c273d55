from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "dangjian.supervision"
    label = "supervision"
    verbose_name = _("Online Supervision Supermarket")

    def ready(self) -> None:
        from dangjian.core import calendar
        from dangjian.supervision import demo, search, stats, workbench  # noqa: F401  (register with the registries)

        calendar.when_changed("dangjian.supervision.tasks.recompute_due_dates")
