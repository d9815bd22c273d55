"""The sender's writes: a batch and its receipts are recorded in a number of statements that does not grow with the
batch (chunks of 500 rows), and a rate limit caps the batch at one second's worth."""

import pytest

from dangjian.services.sms import dispatch
from dangjian.services.sms.gateways import Receipt, Result
from dangjian.services.sms.gateways.console import ConsoleGateway
from dangjian.services.sms.models import Message, MessageState, Part

pytestmark = pytest.mark.django_db
N = 1200


def test_a_batch_and_its_receipts_are_recorded_without_a_statement_per_message(django_assert_max_num_queries):
    Message.objects.bulk_create(
        Message(mobile=f"138{i:08d}", body="x", gateway="smpp", state=MessageState.SUBMITTING) for i in range(N)
    )
    ids = list(Message.objects.values_list("id", flat=True))
    with django_assert_max_num_queries(10):
        dispatch.record("smpp", [Result(k, [f"G{k}"]) for k in ids])
    assert Part.objects.filter(gateway="smpp").count() == N
    assert dict(Message.objects.values_list("id", "gateway_id")) == {k: f"G{k}" for k in ids}
    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.SUBMITTED}
    with django_assert_max_num_queries(10):
        matched = dispatch.apply_receipts("smpp", [Receipt(f"G{k}", MessageState.DELIVERED) for k in ids])
    assert matched == N
    assert set(Message.objects.values_list("state", "parts_done")) == {(MessageState.DELIVERED, 1)}
    assert not Message.objects.filter(done_at__isnull=True).exists()


def test_under_a_rate_limit_a_batch_is_at_most_one_seconds_worth():
    gateway = ConsoleGateway()
    assert dispatch.batch_size(gateway) == 500
    gateway.rate = 40
    assert dispatch.batch_size(gateway) == 40
    gateway.rate = 0.5
    assert dispatch.batch_size(gateway) == 1


def test_receipts_for_rows_in_doubt_settle_them_without_a_statement_per_receipt(django_assert_max_num_queries):
    Message.objects.bulk_create(
        Message(mobile=f"138{i:08d}", body="x", gateway="smpp", state=MessageState.SUBMITTING) for i in range(N)
    )
    receipts = [Receipt(f"D{i}", MessageState.DELIVERED, mobile=f"138{i:08d}") for i in range(N)]
    with django_assert_max_num_queries(16):
        assert dispatch.apply_receipts("smpp", receipts) == N
    rows = Message.objects.values_list("mobile", "gateway_id", "state")
    assert {(m, g, s) for m, g, s in rows} == {(f"138{i:08d}", f"D{i}", MessageState.DELIVERED) for i in range(N)}
