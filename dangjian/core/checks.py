"""System checks: the calendar must know the coming year; production must hold no demo accounts."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone

from dangjian.core import calendar


@register(Tags.database, deploy=False)
def calendar_known_ahead(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    try:
        missing = calendar.unknown_years_ahead(timezone.localdate())
    except DatabaseError:
        return []  # not migrated yet
    if not missing:
        return []
    years = ", ".join(str(y) for y in missing)
    return [
        Warning(
            f"The official holiday arrangement for {years} is not loaded; deadlines in those years count only the "
            "statutory holidays, without 调休.",
            hint="Enter the State Council's arrangement in the admin (Official calendar years) or upgrade "
            "chinese-calendar.",
            id="dangjian.W001",
        )
    ]


def demo_accounts_exist() -> bool:
    from dangjian.core.models import User

    return User.objects.filter(is_demo=True).exists()


@register(Tags.security, Tags.database)
def no_demo_accounts_in_production(app_configs=None, databases=None, **kwargs):
    if not settings.PRODUCTION or not databases:
        return []
    try:
        found = demo_accounts_exist()
    except DatabaseError:
        return []
    if found:
        return [
            Error(
                "Demo accounts exist in a production database.",
                hint="Delete them: `dangjian demo --remove-accounts`.",
                id="dangjian.E001",
            )
        ]
    return []
