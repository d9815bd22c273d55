"""Campaigns: templates and signature, audiences from the registry with the count before sending, opt-outs,
approval by a second person, scheduled sending, quiet hours, the rate limit; sent through the console gateway."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.sms import actions, audience, dispatch, templating
from dangjian.services.sms.gateways import Result
from dangjian.services.sms.gateways.console import ConsoleGateway
from dangjian.services.sms.models import Campaign, CampaignState, Inbound, Message, MessageState, OptOut

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(make_person, branches):
    return [
        make_person("王芳", branches["b1"], phone="13800000001"),
        make_person("李强", branches["b1"], phone="13800000002", is_cadre=True),
        make_person("赵敏", branches["b2"], phone="13800000003"),
        make_person("孙立", branches["b1"], phone=""),
    ]


@pytest.fixture
def head(make_user, branches):
    return make_user("head", (RoleKind.UNIT_HEAD, branches["county"]))


def compose(actor, unit, body="{姓名}同志：请参加{支部}会议。", **kw):
    kw.setdefault("audience", {"unit": unit.pk})
    return actions.compose_campaign(actor=actor, unit=unit, title="会议通知", body=body, **kw)


def send_all():
    return dispatch.run(ConsoleGateway(), linger=0)


def test_template_variables_signature_and_opt_out_hint():
    text = templating.render("{姓名}同志：{支部}明天开会。", {"姓名": "王芳", "支部": "上坑村党支部"}, mandatory=False)
    assert text == "【会昌组工】王芳同志：上坑村党支部明天开会。回TD退订"
    assert templating.render("紧急通知", {}, mandatory=True) == "【会昌组工】紧急通知"


def test_unknown_variable_is_refused_with_its_name(secretary, branches):
    with pytest.raises(ValidationError, match=r"\{职务\}"):
        compose(secretary, branches["county"], body="{职务}请注意")
    assert not Campaign.objects.exists()


def test_count_before_sending_reaches_the_unit_subtree_with_mobiles(people, branches):
    assert audience.count({"unit": branches["county"].pk}).reachable == 3
    assert audience.count({"unit": branches["v1"].pk}).reachable == 2
    assert audience.count({"unit": branches["county"].pk, "filters": {"cadre": True}}).reachable == 1


def test_each_member_gets_the_template_with_their_name_and_branch(people, secretary, branches):
    c = compose(secretary, branches["county"])
    actions.submit_campaign(actor=secretary, campaign=c)
    send_all()
    bodies = dict(Message.objects.values_list("mobile", "body"))
    assert bodies["13800000001"] == "【会昌组工】王芳同志：请参加上坑村党支部会议。回TD退订"
    assert bodies["13800000003"].startswith("【会昌组工】赵敏同志：请参加下塘村党支部")
    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.DELIVERED}
    assert Campaign.objects.get(pk=c.pk).state == CampaignState.DONE
    assert AuditRecord.objects.filter(verb="sms.campaign.submit").exists()


def test_opted_out_numbers_are_skipped_unless_the_notice_is_mandatory(people, secretary, branches):
    actions.receive_inbound(mobile="13800000002", text="退订", gateway="smpp")
    assert OptOut.objects.filter(mobile="13800000002", source="reply").exists()
    assert Inbound.objects.get().kind == "optout"
    c = compose(secretary, branches["county"])
    actions.submit_campaign(actor=secretary, campaign=c)
    assert set(c.messages.values_list("mobile", flat=True)) == {"13800000001", "13800000003"}
    m = compose(secretary, branches["county"], body="紧急通知", mandatory=True)
    actions.submit_campaign(actor=secretary, campaign=m)
    assert m.messages.filter(mobile="13800000002").exists()
    assert not m.messages.filter(body__endswith="回TD退订").exists()


def test_a_campaign_over_the_threshold_waits_for_a_second_person(people, secretary, head, branches, settings):
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 2
    c = actions.submit_campaign(actor=secretary, campaign=compose(secretary, branches["county"]))
    assert c.state == CampaignState.AWAITING_APPROVAL and not c.messages.exists()
    with pytest.raises(ValidationError, match="second person"):
        actions.approve_campaign(actor=secretary, campaign=c)
    actions.approve_campaign(actor=head, campaign=c)
    c.refresh_from_db()
    assert (c.state, c.approved_by, c.messages.count()) == (CampaignState.SENDING, head, 3)


def test_the_database_refuses_an_approval_by_the_composer(people, secretary, branches):
    c = compose(secretary, branches["county"])
    with pytest.raises(IntegrityError):
        Campaign.objects.filter(pk=c.pk).update(approved_by=secretary)


def test_a_branch_secretary_cannot_send_beyond_their_branch(people, make_user, branches):
    sec = make_user("b1sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    with pytest.raises(PermissionDenied):
        compose(sec, branches["county"])
    with pytest.raises(ValidationError):
        compose(sec, branches["b1"], audience={"unit": branches["b2"].pk})


def test_nothing_is_sent_in_quiet_hours_unless_urgent(people, secretary, branches, settings):
    settings.DANGJIAN_SMS_QUIET_HOURS = "22-8"
    with freeze_time(datetime(2026, 11, 27, 22, 30, tzinfo=SHANGHAI)):
        c = compose(secretary, branches["county"])
        actions.submit_campaign(actor=secretary, campaign=c)
        u = compose(secretary, branches["county"], body="防汛紧急通知", urgent=True)
        actions.submit_campaign(actor=secretary, campaign=u)
        send_all()
        assert not c.messages.exclude(state=MessageState.QUEUED).exists()
        assert set(u.messages.values_list("state", flat=True)) == {MessageState.DELIVERED}
    with freeze_time(datetime(2026, 11, 28, 8, 0, tzinfo=SHANGHAI)):
        send_all()
        assert set(c.messages.values_list("state", flat=True)) == {MessageState.DELIVERED}


def test_a_scheduled_campaign_waits_for_its_time(people, secretary, branches):
    with freeze_time(NOON):
        c = compose(secretary, branches["county"], scheduled_at=timezone.now() + timedelta(hours=2))
        actions.submit_campaign(actor=secretary, campaign=c)
        send_all()
        assert set(c.messages.values_list("state", flat=True)) == {MessageState.QUEUED}
    with freeze_time(NOON + timedelta(hours=2, minutes=1)):
        send_all()
        assert set(c.messages.values_list("state", flat=True)) == {MessageState.DELIVERED}


def test_the_rate_limit_spaces_the_batches(people, secretary, branches, make_person):
    for i in range(17):
        make_person(f"党员{i}", branches["b2"], phone=f"1390000{i:04d}")
    c = compose(secretary, branches["county"], body="通知", mandatory=True)
    actions.submit_campaign(actor=secretary, campaign=c)
    gateway = ConsoleGateway()
    gateway.rate, gateway.batch_size = 40, 5
    with freeze_time(NOON, tick=True):
        started = timezone.now()
        dispatch.run(gateway, linger=0)
        elapsed = (timezone.now() - started).total_seconds()
    assert c.messages.filter(state=MessageState.DELIVERED).count() == 20
    assert elapsed >= 20 / 40 - 5 / 40


def test_cancelling_stops_what_was_not_sent(people, secretary, branches):
    c = compose(secretary, branches["county"])
    actions.submit_campaign(actor=secretary, campaign=c)
    actions.cancel_campaign(actor=secretary, campaign=c)
    send_all()
    assert set(c.messages.values_list("error", flat=True)) == {"cancelled"}


def test_an_empty_audience_cannot_be_submitted(secretary, branches):
    c = compose(secretary, branches["county"])
    with pytest.raises(ValidationError):
        actions.submit_campaign(actor=secretary, campaign=c)
    assert Campaign.objects.get(pk=c.pk).state == CampaignState.DRAFT


def test_a_core_notification_goes_through_the_sms_outbox_once(settings, branches):
    from dangjian.core import outbox
    from dangjian.core.models import Channel, Notification

    settings.DANGJIAN_SMS_SENDER = "dangjian.services.sms.outbox.send_notification"
    n = outbox.queue_notification(channel=Channel.SMS, body="您的来信已受理。", address="13800138000")
    assert outbox.deliver(n.pk) == "sent"
    Notification.objects.filter(pk=n.pk).update(state="pending")
    outbox.deliver(n.pk)
    message = Message.objects.get()
    assert (message.notification_id, message.body) == (n.pk, "【会昌组工】您的来信已受理。")
    send_all()
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED


def test_a_receipt_the_notification_forgets_after_delivery_is_forgotten_by_its_message(settings, caplog):
    from dangjian.core import outbox
    from dangjian.core.models import Channel

    settings.DANGJIAN_SMS_SENDER = "dangjian.services.sms.outbox.send_notification"
    n = outbox.queue_notification(
        channel=Channel.SMS,
        body="您的来信已受理，查询码 K7Q2-93XD。",
        body_after_delivery="您的来信已受理，查询码（投递后已删除）。",
        address="13800138000",
    )
    outbox.deliver(n.pk)
    message = Message.objects.get()
    assert "K7Q2-93XD" in message.body  # it has not left yet: the sender needs it
    with caplog.at_level(logging.INFO):
        send_all()
    assert "SMS (console) to 13800138000" in caplog.text and "K7Q2" not in caplog.text
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert (message.body, message.body_after_delivery) == ("【会昌组工】您的来信已受理，查询码（投递后已删除）。", "")
    assert not Message.objects.filter(body__contains="K7Q2").exists()


def test_a_secret_is_forgotten_when_the_message_fails_or_expires_too():
    def claimed(mobile: str, **after: str) -> Message:
        m = actions.queue_message(mobile=mobile, text="查询码 K7Q2-93XD", **after)
        Message.objects.filter(pk=m.pk).update(state=MessageState.SUBMITTING, gateway="smpp")
        return m

    failed = claimed("13800000001", text_after_delivery="查询码（已删除）")
    expired = claimed("13800000002", text_after_delivery="查询码（已删除）")
    plain = claimed("13800000003")
    bad = "0x0000000B: bad number"
    dispatch.record("smpp", [Result(failed.pk, error=bad), Result(plain.pk, error=bad), Result(expired.pk, ["E1"])])
    with freeze_time(timezone.now() + timedelta(hours=49)):
        assert dispatch.expire("smpp") == 1
    bodies = dict(Message.objects.values_list("pk", "body"))
    assert bodies[failed.pk] == bodies[expired.pk] == "【会昌组工】查询码（已删除）"
    assert bodies[plain.pk] == "【会昌组工】查询码 K7Q2-93XD"  # nothing was said to forget
