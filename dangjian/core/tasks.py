"""Background work of the core: notification delivery and the outbox sweep. Every task is idempotent."""

from __future__ import annotations

from django_tasks import task

from dangjian.core import outbox


@task()
def deliver_notification(pk: int) -> str:
    return outbox.deliver(pk)


@task()
def sweep_outbox() -> dict[str, int]:
    return outbox.sweep()
