from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "dangjian.publicity"
    label = "publicity"
    verbose_name = _("Online Publicity Supermarket")

    def ready(self) -> None:
        from dangjian.publicity import demo, pagecache, search, stats  # noqa: F401  (registrations)

        pagecache.connect()
