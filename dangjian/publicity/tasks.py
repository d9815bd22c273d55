"""Periodic work of the publicity supermarket: closing notices whose period has ended."""

from __future__ import annotations

from django_tasks import task

from dangjian.publicity import actions


@task()
def close_notices() -> int:
    """Daily just after midnight; idempotent (a closed notice is not closed again)."""
    return actions.close_notices()
