"""The console gateway (the default): every message is logged and counts as delivered at once; the outbox rows
are what the workbench shows."""

from __future__ import annotations

import logging
import uuid

from dangjian.services.sms.gateways.base import Gateway, Outgoing, Receipt, Result
from dangjian.services.sms.segments import split

logger = logging.getLogger(__name__)


class ConsoleGateway(Gateway):
    name = "console"
    batch_size = 500

    def __init__(self) -> None:
        self._receipts: list[Receipt] = []

    def submit(self, batch: list[Outgoing]) -> list[Result]:
        out = []
        for m in batch:
            ids = [f"console-{uuid.uuid4().hex[:16]}" for _ in split(m.text).parts]
            logger.info("SMS (console) to %s [%s]: %s", m.mobile, ",".join(ids), m.text_after_delivery or m.text)
            self._receipts += [Receipt(i, "delivered", mobile=m.mobile) for i in ids]
            out.append(Result(m.key, ids))
        return out

    def poll(self, timeout: float = 0) -> list:
        receipts, self._receipts = self._receipts, []
        return receipts
