"""The SMS workbench: compose with the live length and segment count, count the audience, submit, approve by a
second person, cancel; the opt-out list; the dashboard panel and the statistics figures."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.core.models import RoleKind
from dangjian.portal.workbench import panels_for
from dangjian.services.sms import dispatch
from dangjian.services.sms.gateways.console import ConsoleGateway
from dangjian.services.sms.models import Campaign, CampaignState, MessageState, OptOut
from dangjian.stats.registry import Period, figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_person, branches):
    return [make_person(f"党员{i}", branches["b1"], phone=f"1380000000{i}") for i in range(3)]


@pytest.fixture
def org(staff_client, branches):
    return staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))


def compose(client, branches, **extra):
    data = {"title": "会议通知", "body": "{姓名}同志：明天开会。", "unit": branches["county"].pk, "who": "members"}
    data.update(extra)
    return client.post(reverse("sms:campaign_create"), data)


def test_the_pages_speak_chinese_by_default_and_english_on_request(org):
    assert "编写群发短信" in org.get(reverse("sms:campaign_create")).content.decode()
    r = org.get(reverse("sms:campaign_create"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Compose a campaign" in r.content.decode()


def test_the_preview_shows_the_text_its_length_and_parts_while_typing(org):
    r = org.post(reverse("sms:preview"), {"body": "党" * 80}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    # 【会昌组工】 (6) + 80 + 回TD退订 (5) = 91 UCS-2 characters: two parts of at most 67.
    assert "91" in html and "UCS-2" in html
    assert '<strong data-testid="segments">' in html
    r = org.post(reverse("sms:preview"), {"body": "{职务}"})
    assert "{职务}" in r.content.decode() and 'role="alert"' in r.content.decode()


def test_the_count_before_sending_leaves_out_opted_out_numbers(org, people, branches):
    OptOut.objects.create(mobile="13800000001", source="admin")
    r = org.post(reverse("sms:count"), {"unit": branches["county"].pk, "who": "members", "body": "x", "title": "t"})
    assert 'data-testid="count"' in r.content.decode()
    assert "3" in r.content.decode() and "1" in r.content.decode()


def test_compose_submit_and_send_a_small_campaign(org, people, branches):
    r = compose(org, branches)
    campaign = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("sms:campaign_detail", args=[campaign.pk])
    org.post(reverse("sms:campaign_submit", args=[campaign.pk]))
    dispatch.run(ConsoleGateway(), linger=0)
    page = org.get(reverse("sms:campaign_detail", args=[campaign.pk])).content.decode()
    assert '<td data-testid="delivered">3</td>' in page
    assert campaign.messages.filter(state=MessageState.DELIVERED).count() == 3


def test_a_large_campaign_is_approved_by_a_second_person(org, people, branches, make_user, client, settings):
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 1
    compose(org, branches)
    campaign = Campaign.objects.get()
    org.post(reverse("sms:campaign_submit", args=[campaign.pk]))
    page = org.get(reverse("sms:campaign_detail", args=[campaign.pk])).content.decode()
    assert reverse("sms:campaign_approve", args=[campaign.pk]) not in page  # not for the composer
    r = org.post(reverse("sms:campaign_approve", args=[campaign.pk]), follow=True)
    assert "须由另一人审批" in r.content.decode()
    assert Campaign.objects.get().state == CampaignState.AWAITING_APPROVAL
    head = make_user("head", (RoleKind.UNIT_HEAD, branches["county"]))
    [panel] = [p for p in panels_for(head) if str(p.title) == "Bulk SMS"]
    assert panel.items[0].count == 1
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=head, name="t", confirmed=True)
    client.force_login(head)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    client.post(reverse("sms:campaign_approve", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert (campaign.state, campaign.approved_by) == (CampaignState.SENDING, head)


def test_bad_input_is_refused_with_an_error_and_nothing_stored(org, branches):
    r = compose(org, branches, body="{职务}开会")
    assert r.status_code == 200 and "{职务}" in r.content.decode()
    assert not Campaign.objects.exists()
    r = compose(org, branches, unit=999999)
    assert r.status_code == 200 and not Campaign.objects.exists()


def test_a_member_cannot_reach_the_sms_pages(staff_client, branches):
    c = staff_client("m", (RoleKind.MEMBER, branches["b1"]))
    assert c.get(reverse("sms:campaign_list")).status_code == 403
    assert c.post(reverse("sms:preview"), {"body": "x"}).status_code == 403


def test_the_campaign_list_runs_a_bounded_number_of_queries(org, people, branches, django_assert_max_num_queries):
    for i in range(5):
        compose(org, branches, title=f"通知{i}")
    with django_assert_max_num_queries(12):
        r = org.get(reverse("sms:campaign_list"))
    assert r.content.decode().count("/work/sms/") >= 5


def test_the_opt_out_list_adds_and_removes_numbers(org):
    org.post(reverse("sms:optouts"), {"mobile": "138 0000 0009"})
    assert OptOut.objects.filter(mobile="13800000009", source="admin").exists()
    r = org.post(reverse("sms:optouts"), {"mobile": "12345"})
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()
    org.post(reverse("sms:optouts"), {"mobile": "13800000009", "remove": "1"})
    assert not OptOut.objects.exists()


def test_statistics_figures_count_campaigns_and_delivered_messages(org, people, branches):
    compose(org, branches)
    campaign = Campaign.objects.get()
    org.post(reverse("sms:campaign_submit", args=[campaign.pk]))
    dispatch.run(ConsoleGateway(), linger=0)
    today = date.today()
    period = Period(date(today.year, 1, 1), date(today.year, 12, 31), "year")
    registered = {f.key: f for f in figures()}
    assert registered["services.sms_campaigns"].compute(period, None).values["Campaigns"] == [1]
    messages = registered["services.sms_messages"].compute(period, None)
    assert messages.values["Delivered"] == [3] and messages.values["Failed"] == [0]
