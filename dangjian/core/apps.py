"""The core app: organisation tree, accounts and roles, calendar, audit chain, notification outbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from dangjian.core import checks  # noqa: F401  (registers the system checks)
