"""What every gateway offers the dispatcher: submit a batch, hand back receipts and inbound messages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outgoing:
    key: int  # the outbox row's id (or any caller's key)
    mobile: str
    text: str
    text_after_delivery: str = ""  # the row's text once final, when the text carries a secret: what a log may show


@dataclass
class Result:
    """What became of one Outgoing. `ids`: the gateway's id of each part it accepted, in order.

    `doubt` is True when the connection ended before every part was answered: the gateway may hold the message,
    so it must not simply be sent again (the dispatcher resolves it from later receipts).
    """

    key: int
    ids: list[str] = field(default_factory=list)
    error: str = ""
    retry: bool = False  # with an error: nothing was sent, send it again later
    doubt: bool = False


@dataclass(frozen=True)
class Receipt:
    gateway_id: str
    state: str  # a MessageState value: delivered, failed or expired
    reason: str = ""
    mobile: str = ""
    whole: bool = False  # the receipt covers every part (HTTP providers report per message, SMPP per part)


@dataclass(frozen=True)
class InboundText:
    mobile: str
    text: str
    ref: str = ""  # the provider's id of the message, when it has one: a pushed reply is stored once


class GatewayError(Exception):
    """The gateway could not be reached or refused the session; nothing of the batch was sent."""


class Gateway:
    name = ""
    #: Messages per second this gateway may be sent (0: no limit).
    rate: float = 0
    #: How many messages one submit() call should get.
    batch_size = 100

    def submit(self, batch: list[Outgoing]) -> list[Result]:
        raise NotImplementedError

    def poll(self, timeout: float = 0) -> list[Receipt | InboundText]:
        """Receipts and inbound messages that arrived; waits up to `timeout` seconds for the first."""
        return []

    def ack(self) -> None:
        """Acknowledge the receipts and inbound messages poll() returned, once the caller has stored them: an SMSC
        keeps and redelivers what was not acknowledged, so a crash between reading and storing loses nothing."""

    def close(self) -> None:
        pass
