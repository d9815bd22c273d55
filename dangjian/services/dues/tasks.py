"""Periodic work of the dues ledger: the monthly run for the current month, county-wide. Idempotent: it adds only
the lines the month lacks, so running it daily also picks up members who joined or arrived since."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from dangjian.services.dues import actions


@task()
def run_current_month() -> dict[str, int]:
    result = actions.run_month(actor=None, month=timezone.localdate())
    return {"created": result.created, "existing": result.existing, "missing_base": len(result.missing_base)}
