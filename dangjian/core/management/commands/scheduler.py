"""`dangjian scheduler`: enqueue the periodic jobs; one scheduler leads at a time, others stand by."""

import signal

from django.core.management.base import BaseCommand

from dangjian.core import scheduler


class Command(BaseCommand):
    help = "Run the scheduler of periodic jobs (config/schedule.py)."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now and exit.")

    def handle(self, *args, tick, once, **options):
        if once:
            self.stdout.write(", ".join(scheduler.run_due()) or "nothing due")
            return
        stopping = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopping.append(True))
        self.stdout.write("scheduler running")
        scheduler.serve(tick=tick, stop=lambda: bool(stopping))
