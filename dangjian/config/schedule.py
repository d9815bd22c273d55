"""The one schedule of periodic jobs. `dangjian scheduler` enqueues each job when its slot comes round.

Each entry: a name, the dotted path of a django-tasks task taking no arguments, and either `every` (seconds,
slots aligned to the epoch) or `daily_at` ("HH:MM", Asia/Shanghai). Supermarkets add their jobs here.
"""

from __future__ import annotations

from dangjian.core.scheduler import Job

SCHEDULE: list[Job] = [
    Job("outbox.sweep", "dangjian.core.tasks.sweep_outbox", every=60),
]
