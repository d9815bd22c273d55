"""`dangjian sms`: send one message to test a gateway, or run the sender.

dangjian sms send --to 13800138000 --text "…"   one message (in parts when long) through DANGJIAN_SMS_BACKEND;
                                                 waits for the SMSC's answers and prints the message ids
dangjian sms worker                              the sender, for ever (one per gateway)
dangjian sms dispatch                            the sender, until nothing is due
"""

from __future__ import annotations

import signal
import threading
import time

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.services.registry.identity import normalise_mobile
from dangjian.services.sms import dispatch
from dangjian.services.sms.gateways import GatewayError, Outgoing, Receipt, make_gateway
from dangjian.services.sms.models import Message, MessageState
from dangjian.services.sms.segments import split


class Command(BaseCommand):
    help = "Send a test message through the configured SMS gateway, or run the SMS sender."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="Send one message and print the gateway's message ids.")
        send.add_argument("--to", required=True, help="mainland mobile number")
        send.add_argument("--text", required=True)
        send.add_argument("--wait", type=float, default=10.0, help="seconds to wait for delivery receipts")
        sub.add_parser("worker", help="Run the sender until stopped (SIGTERM / SIGINT).")
        sub.add_parser("dispatch", help="Run the sender until nothing is due.")

    def handle(self, *args, action: str, **opts):
        try:
            if action == "send":
                return self.send(opts["to"], opts["text"], opts["wait"])
            stop = threading.Event()
            if action == "worker":
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, lambda *_a: stop.set())
            counts = dispatch.run(make_gateway(), forever=action == "worker", stop=stop)
            self.stdout.write(_("%(sent)s messages submitted.") % counts)
        except (GatewayError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc

    def send(self, to: str, text: str, wait: float) -> None:
        try:
            mobile = normalise_mobile(to)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        if not text.strip():
            raise CommandError(_("The message is empty."))
        gateway = make_gateway()
        message = Message.objects.create(
            mobile=mobile,
            body=text,
            parts=split(text).count,
            gateway=gateway.name,
            state=MessageState.SUBMITTING,
            claimed_at=timezone.now(),
            attempts=1,
        )
        try:
            [result] = gateway.submit([Outgoing(message.pk, mobile, text)])
            dispatch.record(gateway.name, [result])
            if result.error or result.doubt:
                raise CommandError(_("Not sent: %(error)s") % {"error": result.error or _("connection lost")})
            for n, gateway_id in enumerate(result.ids, 1):
                self.stdout.write(f"{n}/{len(result.ids)} {gateway_id}")
            pending = set(result.ids)
            deadline = time.monotonic() + wait
            while pending and time.monotonic() < deadline:
                events = gateway.poll(min(0.5, max(deadline - time.monotonic(), 0)))
                dispatch.handle(gateway, events)
                for e in events:
                    if isinstance(e, Receipt) and e.gateway_id in pending:
                        pending.discard(e.gateway_id)
                        self.stdout.write(f"{e.gateway_id} {e.state} {e.reason}".rstrip())
        finally:
            gateway.close()
