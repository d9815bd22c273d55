"""Periodic work of the encrypted mail network."""

from __future__ import annotations

from django_tasks import task

from dangjian.services.securemail import actions


@task()
def purge_expired_messages() -> int:
    """Destroy the content of expired messages; idempotent."""
    return actions.purge_expired()
