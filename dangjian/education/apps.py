from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "dangjian.education"
    label = "education"
    verbose_name = _("Online Education Supermarket")

    def ready(self) -> None:
        from dangjian.education import demo, search, stats  # noqa: F401  (register demo loader, search source, figures)
