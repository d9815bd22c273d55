"""An SMPP 3.4 client (ESME) for the telecom's SMSC: bind_transceiver, windowed submit_sm, concatenation with a user
data header, delivery receipts in deliver_sm, enquire_link, reconnect with back-off, optional TLS.

Section numbers refer to the SMPP Protocol Specification v3.4 (SMPP Developers Forum, 1999).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import random
import re
import select
import socket
import ssl
import struct
import time
from dataclasses import dataclass

from dangjian.services.sms.gateways.base import Gateway, GatewayError, InboundText, Outgoing, Receipt, Result
from dangjian.services.sms.segments import GSM7, decode, encode, split

logger = logging.getLogger(__name__)

# §5.1.2 command_id values.
BIND_TRANSCEIVER = 0x00000009
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
GENERIC_NACK = 0x80000000
RESP = 0x80000000
HEADER = struct.Struct(">IIII")
# §5.3.2.12 receipted_message_id, §5.3.2.35 message_state.
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
# §5.2.12 esm_class: bits 5-2 = 0001 is an SMSC delivery receipt; bit 6 is UDHI.
ESM_RECEIPT = 0x04
ESM_UDHI = 0x40
# §5.2.19 data_coding: 0 SMSC default alphabet (GSM-7 here), 8 UCS-2.
CODING = {GSM7: 0, "ucs2": 8}
# Appendix B: the stat field of a receipt; §5.2.28 message_state values.
STAT = {"DELIVRD": "delivered", "EXPIRED": "expired"}
FINAL_STATES = {2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 7: "UNKNOWN", 8: "REJECTD"}
# §5.1.3 command_status values that mean "not now": the SMSC took nothing and the same submit_sm may be sent again
# after a pause (ESME_RTHROTTLED: the ESME exceeded its allowed message rate; ESME_RMSGQFUL: its queue is full).
ESME_RTHROTTLED = 0x00000058
ESME_RMSGQFUL = 0x00000014
TRY_LATER = {ESME_RTHROTTLED, ESME_RMSGQFUL}
# Linux's TCP_QUICKACK (see SmppGateway._read); other systems go without.
QUICKACK = getattr(socket, "TCP_QUICKACK", None)
RECEIPT_TEXT = re.compile(r"id:(?P<id>\S+).*?stat:(?P<stat>\w+)(?:.*?err:(?P<err>\w+))?", re.I | re.S)


def cstr(value: str) -> bytes:
    return value.encode("latin-1") + b"\0"


def pdu(command_id: int, seq: int, body: bytes = b"", status: int = 0) -> bytes:
    return HEADER.pack(16 + len(body), command_id, status, seq) + body


def _read_cstr(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\0", pos)
    return data[pos:end].decode("latin-1"), end + 1


def parse_sm(body: bytes) -> dict:
    """The fields of a deliver_sm (same layout as submit_sm, §4.6.1) the client needs, with its TLVs."""
    pos = 0
    _service, pos = _read_cstr(body, pos)
    pos += 2
    source, pos = _read_cstr(body, pos)
    pos += 2
    dest, pos = _read_cstr(body, pos)
    esm_class = body[pos]
    pos += 3
    _sched, pos = _read_cstr(body, pos)
    _valid, pos = _read_cstr(body, pos)
    data_coding = body[pos + 2]
    length = body[pos + 4]
    pos += 5
    short = body[pos : pos + length]
    pos += length
    tlvs = {}
    while pos + 4 <= len(body):
        tag, size = struct.unpack_from(">HH", body, pos)
        tlvs[tag] = body[pos + 4 : pos + 4 + size]
        pos += 4 + size
    if esm_class & ESM_UDHI and short:
        short = short[short[0] + 1 :]
    return {"source": source, "dest": dest, "esm_class": esm_class, "coding": data_coding, "text": short, "tlvs": tlvs}


def parse_receipt(sm: dict) -> Receipt | None:
    tlvs = sm["tlvs"]
    match = RECEIPT_TEXT.search(sm["text"].decode("latin-1"))
    gateway_id = tlvs.get(TLV_RECEIPTED_MESSAGE_ID, b"").rstrip(b"\0").decode("latin-1")
    gateway_id = gateway_id or (match["id"] if match else "")
    if TLV_MESSAGE_STATE in tlvs:
        stat = FINAL_STATES.get(tlvs[TLV_MESSAGE_STATE][0], "")
    else:
        stat = match["stat"].upper() if match else ""
    if not gateway_id or not stat or stat in ("ACCEPTD", "ENROUTE"):
        return None
    err = match["err"] if match and match["err"] else ""
    reason = "" if stat == "DELIVRD" else f"{stat} {err}".strip()
    return Receipt(gateway_id, STAT.get(stat, "failed"), reason, sm["source"])


@dataclass
class SmppSettings:
    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    source_addr: str = ""
    source_ton: int = 0
    source_npi: int = 0
    dest_ton: int = 1
    dest_npi: int = 1
    tls: bool = False
    window: int = 10
    timeout: float = 10.0
    enquire_every: float = 30.0
    retries: int = 5
    backoff: float = 0.5
    backoff_max: float = 30.0
    rate: float = 0
    throttle_backoff: float = 0.05  # first pause after ESME_RTHROTTLED, doubled while the SMSC keeps throttling
    throttle_seconds: float = 60.0  # pausing longer than this in one batch: its messages not yet begun wait


class SmppGateway(Gateway):
    name = "smpp"

    def __init__(self, settings: SmppSettings) -> None:
        self.s = settings
        self.rate = settings.rate
        self.batch_size = max(100, settings.window * 20)
        self.sock: socket.socket | None = None
        self._buf = b""
        self._seq = itertools.count(1)
        self._ref = itertools.count(random.randrange(256))
        self._events: list[Receipt | InboundText] = []
        self._unacked: list[int] = []  # sequence numbers of the deliver_sm read and not yet returned by poll()
        self._returned: list[int] = []  # those of the deliver_sm poll() returned: what ack() answers
        self._last_io = 0.0
        self._throttle_delay = 0.0  # the current pause after ESME_RTHROTTLED (0: not throttled)
        self._resume_at = 0.0  # no submit_sm before this (time.monotonic()); kept from one batch to the next

    # --- connection ---------------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect and bind (§4.1.5 bind_transceiver), retrying with exponential back-off and jitter."""
        delay = self.s.backoff
        for attempt in range(self.s.retries + 1):
            try:
                self._bind()
                return
            except (OSError, GatewayError) as exc:
                self._drop()
                if attempt == self.s.retries:
                    raise GatewayError(f"SMSC {self.s.host}:{self.s.port}: {exc}") from exc
                logger.warning("SMPP bind failed (%s); retrying in %.1fs", exc, delay)
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self.s.backoff_max)

    def _bind(self) -> None:
        sock = socket.create_connection((self.s.host, self.s.port), timeout=self.s.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.s.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.s.host)
        self.sock, self._buf, self._unacked, self._returned = sock, b"", [], []
        body = (
            cstr(self.s.system_id)
            + cstr(self.s.password)
            + cstr(self.s.system_type)
            + bytes((0x34, self.s.source_ton, self.s.source_npi))
            + cstr("")
        )
        seq = next(self._seq)
        self._send(pdu(BIND_TRANSCEIVER, seq, body))
        deadline = time.monotonic() + self.s.timeout
        while True:
            frame = self._read(deadline - time.monotonic())
            if frame is None:
                raise GatewayError("no answer to bind_transceiver")
            command_id, status, rseq, _body = frame
            if command_id == BIND_TRANSCEIVER | RESP and rseq == seq:
                if status:
                    raise GatewayError(f"bind refused, command_status 0x{status:08X}")
                return
            self._handle_unsolicited(command_id, rseq, _body)

    def ack(self) -> None:
        """Answer the deliver_sm that poll() returned, and only those: the ones read since (by a submit() of the
        next batch) are not stored yet."""
        seqs, self._returned = self._returned, []
        if not seqs or self.sock is None:
            return  # none; or the session is gone, and the SMSC redelivers them to the next
        try:
            self._send(b"".join(pdu(DELIVER_SM | RESP, seq, b"\0") for seq in seqs))
        except OSError as exc:
            logger.warning("SMPP connection lost while acknowledging receipts: %s", exc)
            self._drop()

    def _drop(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock, self._buf = None, b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self._send(pdu(UNBIND, next(self._seq)))
                self._read(1.0)
            except OSError:
                pass
        self._drop()

    # --- framing ------------------------------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)
        self._last_io = time.monotonic()

    def _read(self, timeout: float) -> tuple[int, int, int, bytes] | None:
        """One PDU, or None if none arrived within `timeout`; raises ConnectionError when the SMSC hung up."""
        assert self.sock is not None
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            if len(self._buf) >= 16:
                length, command_id, status, seq = HEADER.unpack_from(self._buf)
                if length < 16 or length > 65536:
                    raise ConnectionError(f"bad command_length {length}")
                if len(self._buf) >= length:
                    body, self._buf = self._buf[16:length], self._buf[length:]
                    self._last_io = time.monotonic()
                    return command_id, status, seq, body
            left = deadline - time.monotonic()
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending and (left <= 0 or not select.select([self.sock], [], [], left)[0]):
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("SMSC closed the connection")
            if QUICKACK is not None:
                # Acknowledge at once what was read (Linux turns this off again by itself, so after every read).
                # deliver_sm_resp waits until the receipts are stored, so a receipt often gets no answer to carry
                # the TCP acknowledgement; with delayed ACKs on our side and Nagle's algorithm on the SMSC's, its
                # next submit_sm_resp then waits for our delayed ACK: measured on loopback against node-smpp,
                # 2,000 instead of 10,000 submit_sm a second.
                self.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
            self._buf += chunk

    def _handle_unsolicited(self, command_id: int, seq: int, body: bytes) -> None:
        """Answer what the SMSC sends of its own accord: deliver_sm (§4.6), enquire_link (§4.11), unbind (§4.2)."""
        if command_id == DELIVER_SM:
            self._unacked.append(seq)  # answered by ack() once stored (§4.6.2 deliver_sm_resp)
            sm = parse_sm(body)
            if sm["esm_class"] & 0x3C == ESM_RECEIPT:
                receipt = parse_receipt(sm)
                if receipt is not None:
                    self._events.append(receipt)
            else:
                self._events.append(InboundText(sm["source"], decode(sm["text"], sm["coding"])))
        elif command_id == ENQUIRE_LINK:
            self._send(pdu(ENQUIRE_LINK | RESP, seq))
        elif command_id == UNBIND:
            self._send(pdu(UNBIND | RESP, seq))
            raise ConnectionError("SMSC unbound")
        elif not command_id & RESP:
            self._send(pdu(GENERIC_NACK, seq, status=0x00000003))  # ESME_RINVCMDID

    # --- submitting ---------------------------------------------------------------------------------------------

    def submit_sm(self, mobile: str, text: str) -> list[bytes]:
        """The submit_sm bodies of one message: one, or one per part with a concatenation UDH (IEI 0x00, 8-bit
        reference, 3GPP TS 23.040 §9.2.3.24.1) and esm_class UDHI."""
        seg = split(text)
        coding = CODING[seg.alphabet]
        head = (
            cstr("")
            + bytes((self.s.source_ton, self.s.source_npi))
            + cstr(self.s.source_addr)
            + bytes((self.s.dest_ton, self.s.dest_npi))
            + cstr(mobile)
        )
        ref = next(self._ref) % 256
        bodies = []
        for i, part in enumerate(seg.parts, 1):
            data = encode(part, seg.alphabet)
            esm = 0
            if seg.count > 1:
                data = bytes((5, 0, 3, ref, seg.count, i)) + data
                esm = ESM_UDHI
            # protocol_id, priority_flag, schedule_delivery_time, validity_period, registered_delivery=1 (§5.2.17),
            # replace_if_present_flag, data_coding, sm_default_msg_id, sm_length, short_message.
            bodies.append(head + bytes((esm, 0, 0)) + cstr("") + cstr("") + bytes((1, 0, coding, 0, len(data))) + data)
        return bodies

    def submit(self, batch: list[Outgoing]) -> list[Result]:
        """Submit every part of every message with at most `window` unanswered submit_sm (§2.6 windowing).

        A part the SMSC answers with ESME_RTHROTTLED or ESME_RMSGQFUL (§5.1.3) is sent again after a pause that
        doubles while the SMSC keeps refusing (from `throttle_backoff` up to `backoff_max`) and is reset by the
        next part it takes; nothing is sent during the pause, and the pause carries over to the next batch. After
        `throttle_seconds` of pausing in one batch the messages of which the SMSC took nothing go back to the queue
        (retry); a message partly taken keeps trying for twice that (sending it again whole would double the parts
        it has), then fails."""
        if self.sock is None:
            self.connect()
        results = {m.key: Result(m.key) for m in batch}
        queue = collections.deque(
            (m.key, i, body) for m in batch for i, body in enumerate(self.submit_sm(m.mobile, m.text))
        )
        expected = collections.Counter(key for key, _i, _b in queue)
        parts_of: dict[int, dict[int, str]] = {m.key: {} for m in batch}
        inflight: dict[int, tuple[int, int, bytes]] = {}
        failed: set[int] = set()  # failed, or given back to the dispatcher: nothing more of it is sent
        paused = 0.0  # seconds spent waiting for a pause to end, in this batch
        try:
            while queue or inflight:
                now = time.monotonic()
                if paused >= self.s.throttle_seconds and queue:
                    queue = self._put_off(queue, parts_of, inflight, results, failed)
                while queue and len(inflight) < self.s.window and now >= self._resume_at:
                    key, index, body = queue.popleft()
                    if key in failed:
                        continue
                    seq = next(self._seq)
                    inflight[seq] = (key, index, body)
                    self._send(pdu(SUBMIT_SM, seq, body))
                if not inflight:
                    if queue:  # pausing: wait for the end of the pause, taking what the SMSC sends meanwhile
                        frame = self._read(self._resume_at - now)
                        paused += time.monotonic() - now
                        if frame is not None:
                            self._handle_unsolicited(frame[0], frame[2], frame[3])
                    continue
                frame = self._read(self.s.timeout)
                if frame is None:
                    raise ConnectionError("no submit_sm_resp within the timeout")
                command_id, status, seq, body = frame
                if command_id in (SUBMIT_SM | RESP, GENERIC_NACK) and seq in inflight:
                    key, index, sent = inflight.pop(seq)
                    if status == 0 and command_id == SUBMIT_SM | RESP:
                        parts_of[key][index] = body.rstrip(b"\0").decode("latin-1")
                        self._throttle_delay = 0.0
                    elif command_id == SUBMIT_SM | RESP and status in TRY_LATER:
                        self._throttled()
                        if paused < self.s.throttle_seconds or (parts_of[key] and paused < 2 * self.s.throttle_seconds):
                            queue.appendleft((key, index, sent))
                        else:
                            failed.add(key)
                            results[key].error = "not sent: throttled by the SMSC"
                            # Nothing of it taken: back to the queue. Partly taken and refused for twice the
                            # budget: failed, since sending it again whole would double the parts it has.
                            results[key].retry = not parts_of[key]
                    else:
                        failed.add(key)
                        results[key].error = f"command_status 0x{status:08X}"
                else:
                    self._handle_unsolicited(command_id, seq, body)
        except (OSError, ConnectionError) as exc:
            logger.warning("SMPP connection lost during submit: %s", exc)
            self._drop()
            asked = {key for key, _i, _b in inflight.values()}
            for key, result in results.items():
                if key in failed or result.retry or len(parts_of[key]) == expected[key]:
                    continue
                if parts_of[key] or key in asked:
                    result.doubt = True
                else:
                    result.error, result.retry = "not sent: connection lost", True
        for key, parts in parts_of.items():
            results[key].ids = [parts[i] for i in sorted(parts)]
        return list(results.values())

    def _throttled(self) -> None:
        """The SMSC asked us to slow down: pause, longer each time it asks again before taking a part. Refusals of
        the submit_sm already out when a pause began belong to that pause and do not lengthen it."""
        if time.monotonic() < self._resume_at:
            return
        self._throttle_delay = min(max(self._throttle_delay * 2, self.s.throttle_backoff), self.s.backoff_max)
        self._resume_at = max(self._resume_at, time.monotonic() + self._throttle_delay)

    def _put_off(self, queue, parts_of, inflight, results: dict[int, Result], failed: set[int]):
        """Throttled for too long: the messages of which the SMSC took nothing go back to the dispatcher's queue
        (retry); the rest of partly taken ones stay in this batch's queue."""
        sending = {key for key, _i, _b in inflight.values()}
        later = {key for key, _i, _b in queue if not parts_of[key] and key not in sending and key not in failed}
        for key in later:
            results[key].error, results[key].retry = "not sent: throttled by the SMSC", True
        failed |= later
        if later:
            logger.warning("SMSC throttling for %.1fs: %s messages put off", self.s.throttle_seconds, len(later))
        return collections.deque(item for item in queue if item[0] not in later)

    def poll(self, timeout: float = 0) -> list[Receipt | InboundText]:
        """Read what the SMSC sent; send enquire_link (§4.11) when the link has been quiet too long."""
        if self.sock is None:
            try:
                self.connect()
            except GatewayError as exc:
                logger.warning("%s", exc)
                return []
        deadline = time.monotonic() + timeout
        try:
            while True:
                if time.monotonic() - self._last_io > self.s.enquire_every:
                    self._send(pdu(ENQUIRE_LINK, next(self._seq)))
                frame = self._read(min(deadline - time.monotonic(), self.s.enquire_every))
                if frame is not None:
                    command_id, _status, seq, body = frame
                    if not command_id & RESP:
                        self._handle_unsolicited(command_id, seq, body)
                    continue
                if time.monotonic() >= deadline:
                    break
        except (OSError, ConnectionError) as exc:
            logger.warning("SMPP connection lost while polling: %s", exc)
            self._drop()
        events, self._events = self._events, []
        self._returned += self._unacked
        self._unacked = []
        return events
