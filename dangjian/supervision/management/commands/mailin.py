"""`dangjian mailin`: run the SMTP server that turns mail to the channel addresses into letters."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from dangjian.supervision import mailin


class Command(BaseCommand):
    help = "Receive letters by e-mail: an SMTP server for the channel addresses."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host: str, port: int, **options):
        server = mailin.controller(host, port)
        server.start()
        self.stdout.write(f"mailin: listening on {host}:{port}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            server.stop()
