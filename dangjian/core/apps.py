"""The core app: organisation tree, accounts and roles, calendar, audit chain, notification outbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from dangjian.core import checks  # noqa: F401  (registers the system checks)
        from dangjian.core.models import Role, User
        from dangjian.core.permissions import forget_holders

        # What a process remembers of role holders is forgotten when a role or a user changes (a cache, not a
        # side effect: roles also change through the admin and deletes that no action sees).
        for model in (Role, User):
            post_save.connect(forget_holders, sender=model, dispatch_uid=f"holders-save-{model.__name__}")
            post_delete.connect(forget_holders, sender=model, dispatch_uid=f"holders-delete-{model.__name__}")
