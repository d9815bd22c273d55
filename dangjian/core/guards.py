"""Start-up guards shared by the WSGI entry point and `dangjian serve`."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_demo_accounts_in_production() -> None:
    from dangjian.core.checks import demo_accounts_exist

    if settings.PRODUCTION and demo_accounts_exist():
        raise ImproperlyConfigured(
            "Production refuses to start: demo accounts exist. Remove them with `dangjian demo --remove-accounts`."
        )
