"""`dangjian mailin`: run the SMTP server that turns mail to the channel addresses into letters, or
`dangjian mailin --imap URL` to read an existing mailbox (see dangjian/supervision/imap.py)."""

from __future__ import annotations

import signal
import threading

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dangjian.supervision import mailin


class Command(BaseCommand):
    help = "Receive letters by e-mail: an SMTP server for the channel addresses."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--imap", metavar="URL", help="read this mailbox instead: imaps://user@host/INBOX")
        parser.add_argument("--interval", type=float, default=60, help="seconds between passes over the mailbox")
        parser.add_argument("--once", action="store_true", help="one pass over the mailbox, then exit")

    def handle(self, *args, host: str, port: int, imap: str | None, interval: float, once: bool, **options):
        if imap:
            return self._imap(imap, interval=interval, once=once)
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

    def _imap(self, url: str, *, interval: float, once: bool) -> None:
        from dangjian.supervision import imap as imap_poller

        try:
            box = imap_poller.Mailbox.from_url(url)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if once:
            result = imap_poller.poll_once(box)
            self.stdout.write(f"mailin: {result.delivered} letters, {result.refused} refused, {result.retry} left")
            return
        self.stdout.write(f"mailin: reading {box.folder} at {box.host}:{box.port} every {interval:g} s")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        imap_poller.run(box, interval=interval, stop=stop)
