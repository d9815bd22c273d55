"""`dangjian worker`: run background tasks: the database worker, or an RQ worker when REDIS_URL is set."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a task worker for the configured backend."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")

    def handle(self, *args, batch, **options):
        if settings.REDIS_URL:
            call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=batch, with_scheduler=True)
        else:
            call_command("db_worker", queue_name="default", batch=batch, reload=False, startup_delay=False)
