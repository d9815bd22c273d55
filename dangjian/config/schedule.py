"""The one schedule of periodic jobs. `dangjian scheduler` enqueues each job when its slot comes round.

Each entry: a name, the dotted path of a django-tasks task taking no arguments, and either `every` (seconds,
slots aligned to the epoch) or `daily_at` ("HH:MM", Asia/Shanghai). Supermarkets add their jobs here.
"""

from __future__ import annotations

from dangjian.core.scheduler import Job

SCHEDULE: list[Job] = [
    Job("outbox.sweep", "dangjian.core.tasks.sweep_outbox", every=60),
    Job("education.programmes", "dangjian.education.tasks.build_next_sunday_programmes", daily_at="06:30"),
    Job("supervision.deadlines", "dangjian.supervision.tasks.sweep_deadlines", daily_at="09:00"),
    Job("supervision.pow_purge", "dangjian.supervision.tasks.purge_spent_challenges", every=3600),
    Job("supervision.bulletin", "dangjian.supervision.tasks.draft_monthly_bulletin", daily_at="08:30"),
    Job("publicity.publish_scheduled", "dangjian.publicity.tasks.publish_scheduled", every=60),
    Job("publicity.close_notices", "dangjian.publicity.tasks.close_notices", daily_at="00:05"),
    Job("registry.sweep_imports", "dangjian.services.registry.tasks.sweep_import_jobs", every=60),
    Job("dues.monthly_run", "dangjian.services.dues.tasks.run_current_month", daily_at="02:30"),
    Job("stats.daily", "dangjian.stats.tasks.warm_public_figures", daily_at="01:30"),
    Job("securemail.purge", "dangjian.services.securemail.tasks.purge_expired_messages", every=3600),
]
