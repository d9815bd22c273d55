"""The SMPP 3.4 gateway against an SMSC the project did not write (node-smpp's server on loopback): windowed
submit_sm with receipts, long messages with a UDH, inbound replies, a dropped connection mid-campaign, TLS."""

import ipaddress
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dangjian.services.sms import dispatch
from dangjian.services.sms.gateways import GatewayError, Outgoing, Receipt, make_gateway, smpp
from dangjian.services.sms.models import CampaignState, Inbound, Message, MessageState, OptOut
from tests.sms.conftest import add_people, assert_each_once, campaign

pytestmark = pytest.mark.django_db(transaction=True)


def states(c) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in c.messages.values_list("state", flat=True):
        out[s] = out.get(s, 0) + 1
    return out


def test_a_campaign_of_10000_messages_is_delivered_with_receipts(smsc, secretary, branches, settings):
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 100000
    add_people(branches["b1"], 10000)
    c = campaign(secretary, branches)
    assert c.recipient_count == 10000
    dispatch.run(make_gateway(), linger=1)
    smsc.wait_for_parts(10000)
    assert_each_once(smsc, {f"137{i:08d}" for i in range(10000)})
    assert states(c) == {MessageState.DELIVERED: 10000}
    assert c.messages.exclude(gateway_id="").count() == 10000
    c.refresh_from_db()
    assert c.state == CampaignState.DONE


def test_a_long_message_goes_in_parts_with_a_udh_and_is_delivered_when_every_part_is(smsc, secretary, branches):
    add_people(branches["b1"], 3)
    c = campaign(secretary, branches, body="党" * 150)
    dispatch.run(make_gateway(), linger=1)
    parts = smsc.wait_for_parts(9)
    assert len(parts) == 9
    for mobile in {p["dst"] for p in parts}:
        mine = sorted((p for p in parts if p["dst"] == mobile), key=lambda p: p["seq"])
        assert [p["seq"] for p in mine] == [1, 2, 3] and {p["total"] for p in mine} == {3}
        assert len({p["ref"] for p in mine}) == 1
        assert "".join(p["text"] for p in mine) == "【会昌组工】" + "党" * 150
    assert states(c) == {MessageState.DELIVERED: 3}
    assert set(c.messages.values_list("parts", "parts_done")) == {(3, 3)}


def test_the_smsc_drops_the_connection_mid_campaign_and_nothing_is_lost_or_doubled(
    smsc_factory, secretary, branches, settings
):
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 100000
    settings.DANGJIAN_SMS_DOUBT_SECONDS = 2
    smsc = smsc_factory(DROP_AFTER="1234")
    add_people(branches["b1"], 3000)
    c = campaign(secretary, branches)
    dispatch.run(make_gateway(), linger=1)
    smsc.wait_for_parts(3000)
    assert_each_once(smsc, {f"137{i:08d}" for i in range(3000)})
    assert states(c) == {MessageState.DELIVERED: 3000}


def test_the_smsc_throttles_and_the_sender_backs_off_and_sends_everything_once(
    smsc_factory, secretary, branches, settings
):
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 100000
    smsc = smsc_factory(THROTTLE="200/250")  # 800 submit_sm a second; the sender alone would go several times faster
    add_people(branches["b1"], 2000)
    c = campaign(secretary, branches)
    started = time.monotonic()
    dispatch.run(make_gateway(), linger=1)
    smsc.wait_for_parts(2000)
    throttled = smsc.throttled()
    assert throttled, "the SMSC never throttled: the test proves nothing"
    assert_each_once(smsc, {f"137{i:08d}" for i in range(2000)})
    assert states(c) == {MessageState.DELIVERED: 2000}
    assert time.monotonic() - started >= 2000 / 800 - 0.5
    # Backing off, not hammering: fewer refusals than messages (a sender resending at once would be refused
    # thousands of times while it waits for each period to end).
    assert len(throttled) < 2000


def test_the_parts_of_long_messages_throttled_are_sent_again_in_place(smsc_factory, secretary, branches):
    smsc = smsc_factory(THROTTLE="7/100")
    add_people(branches["b1"], 20)
    c = campaign(secretary, branches, body="党" * 150)  # three parts each
    dispatch.run(make_gateway(), linger=1)
    parts = smsc.wait_for_parts(60)
    assert smsc.throttled()
    assert_each_once(smsc, {f"137{i:08d}" for i in range(20)}, parts=3)
    for mobile in {p["dst"] for p in parts}:
        mine = [p for p in parts if p["dst"] == mobile]
        assert sorted(p["seq"] for p in mine) == [1, 2, 3] and len({p["ref"] for p in mine}) == 1
    assert states(c) == {MessageState.DELIVERED: 20}
    assert set(c.messages.values_list("parts", "parts_done")) == {(3, 3)}


def test_throttled_for_too_long_the_messages_not_begun_go_back_to_the_queue_not_failed(smsc_factory, monkeypatch, db):
    smsc_factory(THROTTLE="2/60000")  # two submit_sm a minute
    monkeypatch.setenv("DANGJIAN_SMPP_THROTTLE_SECONDS", "0.5")
    rows = [Message.objects.create(mobile=f"1380013800{i}", body="x", gateway="smpp") for i in range(5)]
    batch = dispatch.claim("smpp", 10)
    gateway = make_gateway()
    started = time.monotonic()
    results = gateway.submit(batch)
    assert time.monotonic() - started < 5
    dispatch.record("smpp", results)
    gateway.close()
    by_state: dict[str, int] = {}
    for row in Message.objects.filter(pk__in=[r.pk for r in rows]):
        by_state[row.state] = by_state.get(row.state, 0) + 1
    assert by_state == {MessageState.SUBMITTED: 2, MessageState.QUEUED: 3}
    assert {r.error for r in results if r.retry} == {"not sent: throttled by the SMSC"}


def test_a_td_reply_from_the_smsc_opts_the_number_out(smsc, secretary, branches):
    add_people(branches["b1"], 1)
    campaign(secretary, branches)
    dispatch.run(make_gateway(), linger=0.5)
    gateway = make_gateway()
    gateway.poll(0.2)  # bound: the SMSC now has a session to deliver the reply to
    smsc.send_mo("13700000000", "TD")
    events = []
    for _ in range(20):
        events += gateway.poll(0.2)
        if events:
            break
    dispatch.handle(gateway, events)
    gateway.close()
    assert OptOut.objects.filter(mobile="13700000000", source="reply").exists()
    assert Inbound.objects.get().campaign is not None


def test_enquire_link_keeps_an_idle_session_bound(smsc, monkeypatch):
    monkeypatch.setenv("DANGJIAN_SMPP_ENQUIRE_SECONDS", "0.1")
    gateway = make_gateway()
    gateway.submit([Outgoing(1, "13800138000", "hello")])
    assert gateway.poll(0.6)  # the receipt, read between enquire_link exchanges
    assert gateway.sock is not None
    assert gateway.submit([Outgoing(2, "13800138001", "again")])[0].ids
    gateway.close()


def test_a_refused_bind_and_an_absent_smsc_raise_after_the_retries(smsc, monkeypatch):
    monkeypatch.setenv("DANGJIAN_SMPP_PASSWORD", "wrong")
    monkeypatch.setenv("DANGJIAN_SMPP_RETRIES", "1")
    with pytest.raises(GatewayError, match="bind refused"):
        make_gateway().submit([Outgoing(1, "13800138000", "x")])
    smsc.stop()
    monkeypatch.setenv("DANGJIAN_SMPP_PASSWORD", "secret")
    with pytest.raises(GatewayError):
        make_gateway().submit([Outgoing(1, "13800138000", "x")])


def test_a_receipt_for_an_unrecorded_id_resolves_the_message_in_doubt(db, branches):
    m = Message.objects.create(mobile="13800138000", body="x", gateway="smpp", state=MessageState.SUBMITTING)
    assert dispatch.apply_receipts("smpp", [Receipt("ABC", MessageState.DELIVERED, mobile="13800138000")]) == 1
    m.refresh_from_db()
    assert (m.state, m.gateway_id) == (MessageState.DELIVERED, "ABC")
    assert dispatch.apply_receipts("smpp", [Receipt("ABC", MessageState.DELIVERED, mobile="13800138000")]) == 0


def loopback_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and the SMSC's certificate it signs for 127.0.0.1: (CA file, key file, certificate file)."""
    now = datetime.now(UTC)

    def make(subject: str, key, issuer: x509.Name | None, issuer_key, extensions) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = x509.CertificateBuilder(
            subject_name=name,
            issuer_name=issuer or name,
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            not_valid_before=now - timedelta(minutes=5),
            not_valid_after=now + timedelta(days=1),
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    usage = dict.fromkeys(("content_commitment", "key_encipherment", "data_encipherment", "key_agreement"), False)
    ca = make(
        "Dangjian test CA",
        ca_key,
        None,
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (
                x509.KeyUsage(
                    True, **usage, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False
                ),
                True,
            ),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    leaf = make(
        "127.0.0.1",
        key,
        ca.subject,
        ca_key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    paths = folder / "ca.pem", folder / "smsc-key.pem", folder / "smsc.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths[2].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return paths


def test_over_tls_a_campaign_is_delivered_and_an_unverified_smsc_is_refused(
    smsc_factory, secretary, branches, tmp_path, monkeypatch
):
    ca, key, certificate = loopback_certificate(tmp_path)
    smsc = smsc_factory(TLS_KEY=str(key), TLS_CERT=str(certificate))
    monkeypatch.setenv("DANGJIAN_SMPP_TLS", "1")
    monkeypatch.setenv("DANGJIAN_SMPP_RETRIES", "0")
    # Not trusted (the system's CAs only): the gateway does not bind, and sends nothing.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(GatewayError, match="CERTIFICATE_VERIFY_FAILED"):
        make_gateway().submit([Outgoing(1, "13800138000", "x")])
    # Trusted through the CA file (ssl.create_default_context reads SSL_CERT_FILE): bound over TLS, delivered.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    add_people(branches["b1"], 3)
    c = campaign(secretary, branches, body="党" * 100)
    gateway = make_gateway()
    dispatch.run(gateway, linger=1)
    smsc.wait_for_parts(6)
    assert_each_once(smsc, {f"137{i:08d}" for i in range(3)}, parts=2)
    assert states(c) == {MessageState.DELIVERED: 3}


def _deliver_sm(seq: int, source: str, text: bytes) -> bytes:
    """A mobile-originated deliver_sm (SMPP 3.4 §4.6.1): esm_class 0, GSM default alphabet."""
    body = b"\0" + bytes((1, 1)) + source.encode() + b"\0" + bytes((0, 0)) + b"10690733\0" + bytes((0, 0, 0))
    body += b"\0\0" + bytes((0, 0, 0, 0, len(text))) + text
    return smpp.pdu(smpp.DELIVER_SM, seq, body)


def _answered(smsc_end) -> list[int]:
    """The sequence numbers of the deliver_sm_resp that reached the SMSC's end of the socket."""
    time.sleep(0.1)  # loopback: what was sent has arrived
    smsc_end.setblocking(False)
    try:
        data = smsc_end.recv(65536)
    except BlockingIOError:
        return []
    seqs = []
    while data:
        length, command_id, _status, seq = smpp.HEADER.unpack_from(data)
        assert command_id == smpp.DELIVER_SM | smpp.RESP
        seqs.append(seq)
        data = data[length:]
    return seqs


def test_ack_answers_only_the_deliver_sm_that_poll_returned():
    """The sender stores what poll() returned while the next batch is on the wire, and that batch's submit() reads
    more deliver_sm meanwhile: ack() answers only those already returned (and so stored), never the newer ones."""
    with socket.create_server(("127.0.0.1", 0)) as server:  # TCP: the gateway sets TCP options on its socket
        ours = socket.create_connection(server.getsockname())
        smsc_end, _address = server.accept()
    gateway = smpp.SmppGateway(smpp.SmppSettings())
    gateway.sock, gateway._last_io = ours, time.monotonic()
    smsc_end.sendall(_deliver_sm(41, "13800138000", b"TD"))
    first = gateway.poll(0.2)
    smsc_end.sendall(_deliver_sm(42, "13800138001", b"hello"))
    command_id, _status, seq, body = gateway._read(1.0)  # as submit() reads it, the batch on the wire
    gateway._handle_unsolicited(command_id, seq, body)
    gateway.ack()
    assert [e.mobile for e in first] == ["13800138000"]
    assert _answered(smsc_end) == [41]
    second = gateway.poll(0)
    gateway.ack()
    assert [e.mobile for e in second] == ["13800138001"]
    assert _answered(smsc_end) == [42]
    ours.close()
    smsc_end.close()
