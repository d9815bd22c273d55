"""Background work of the education supermarket. Every task is idempotent."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from dangjian.education import actions, queries

#: Thursday (Monday is 0): drafts are ready for the managers three days before the class.
BUILD_WEEKDAY = 3


@task()
def build_next_sunday_programmes() -> int:
    """Run every morning by the scheduler; on Thursday it drafts next Sunday's programmes for stations lacking one."""
    today = timezone.localdate()
    if today.weekday() != BUILD_WEEKDAY:
        return 0
    return actions.build_programmes(sunday=queries.next_sunday(today))
