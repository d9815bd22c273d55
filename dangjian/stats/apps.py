from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "dangjian.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from dangjian.stats import figures  # noqa: F401  (the platform's own figures)
