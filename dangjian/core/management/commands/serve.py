"""`dangjian serve`: serve the site; with --with-worker and --with-scheduler, in one process group.

Development uses Django's server (static files through WhiteNoise); production uses gunicorn. Ctrl-C (or
SIGTERM) stops the server and the helpers it started.
"""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dangjian.core.guards import refuse_demo_accounts_in_production


def _interrupt(*_args):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve the site, optionally with a task worker and the scheduler."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--with-worker", action="store_true")
        parser.add_argument("--with-scheduler", action="store_true")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (production)")

    def handle(self, *args, addrport, with_worker, with_scheduler, workers, **options):
        refuse_demo_accounts_in_production()
        me = [sys.executable, "-m", "dangjian.cli"]
        helpers = []
        if with_worker:
            helpers.append(subprocess.Popen([*me, "worker"]))  # noqa: S603
        if with_scheduler:
            helpers.append(subprocess.Popen([*me, "scheduler"]))  # noqa: S603
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _interrupt)
        try:
            if settings.PRODUCTION:
                subprocess.run(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "dangjian.config.wsgi",
                        "-b",
                        addrport,
                        "-w",
                        str(workers),
                    ],
                    check=False,
                )
            else:
                call_command("runserver", addrport, use_reloader=False)
        except KeyboardInterrupt:
            pass
        finally:
            for p in helpers:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in helpers:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
