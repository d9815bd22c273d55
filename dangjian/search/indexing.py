"""Index updates after a save never make the save fail.

modelsearch's post-save signal handler queues an index update as a task (`insert_or_update_object_task`). With the
RQ backend, a Redis that is away makes that `enqueue` raise inside the save, so a citizen's letter or an editor's
page would fail because the queue is down. `install()` (called from the app's `ready`) puts a wrapper in the
handler's place: the task is queued when the queue takes it, and otherwise the object is indexed at once, in the
same transaction as the save (the database search backend), with a warning in the log.
"""

from __future__ import annotations

import logging

from django.apps import apps
from modelsearch import index

logger = logging.getLogger(__name__)


class QueuedOrInline:
    def __init__(self, task) -> None:
        self.task = task

    def enqueue(self, app_label: str, model_name: str, pk: str):
        try:
            return self.task.enqueue(app_label, model_name, pk)
        except Exception as exc:  # the queue is away (Redis down, …): index now instead
            logger.warning("search: could not queue the index update of %s.%s %s (%s); indexing now",
                           app_label, model_name, pk, exc)  # fmt: skip
            model = apps.get_model(app_label, model_name)
            obj = model._default_manager.filter(pk=pk).first()
            if obj is not None:
                index.insert_or_update_object(obj)
            return None


def install() -> None:
    import modelsearch.signal_handlers as handlers

    if not isinstance(handlers.insert_or_update_object_task, QueuedOrInline):
        handlers.insert_or_update_object_task = QueuedOrInline(handlers.insert_or_update_object_task)
