"""Background work of the supervision supermarket: the morning deadline sweep, the monthly bulletin draft, and due
dates computed again when the official holiday arrangement changes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dangjian.core import calendar
from dangjian.supervision import actions
from dangjian.supervision.models import Bulletin


@task()
def sweep_deadlines() -> dict[str, int]:
    result = actions.sweep_deadlines()
    return {"reminded": result.reminded, "chased": result.chased}


@task()
def draft_monthly_bulletin() -> int | None:
    """Daily; drafts the last month's bulletin once (idempotent: nothing happens while one exists for that month)."""
    today = timezone.now().astimezone(calendar.SHANGHAI).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if Bulletin.objects.filter(month=last_month).exists():
        return None
    return actions.draft_bulletin(actor=None, month=last_month).pk


@task()
def recompute_due_dates() -> int:
    """Queued by the calendar when an administrator changes a year's arrangement (registered in apps.py)."""
    return actions.recompute_due_dates(actor=None)


@task()
def purge_spent_challenges() -> int:
    """Hourly: the letter form's spent proof-of-work challenges, once too old to be accepted anyway."""
    from dangjian.supervision import pow

    return pow.purge_spent()
