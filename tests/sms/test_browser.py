"""The SMS workbench in a real browser: an officer composes a campaign and sees its length and parts while typing,
counts the recipients and submits it; a second person approves it; the console gateway delivers it."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.core.models import RoleKind
from dangjian.services.sms.models import Campaign, CampaignState, MessageState
from tests.browser.a11y import assert_no_axe_violations
from tests.core.otp import code_for

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture
def officers(branches, make_user, make_person, settings):
    # The live server runs in this process: background tasks run at once, as a worker would run them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 2
    for i in range(3):
        make_person(f"党员{i}", branches["b1"], phone=f"1380000000{i}")
    composer = make_user("composer", (RoleKind.ORG_ADMIN, branches["county"]), password=PASSWORD)
    head = make_user("head", (RoleKind.UNIT_HEAD, branches["county"]), password=PASSWORD)
    return {u.username: TOTPDevice.objects.create(user=u, name="phone", confirmed=True) for u in (composer, head)}


def log_in(page, server, device) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/work/sms/")
    page.get_by_label("用户名").fill(device.user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="继续").click()
    page.wait_for_url("**/accounts/otp/**")
    page.get_by_label("验证码").fill(code_for(device))
    page.get_by_role("main").get_by_role("button", name="验证").click()
    page.wait_for_url("**/work/sms/")


def test_compose_approve_and_send_a_campaign(page, server, officers):
    log_in(page, server, officers["composer"])
    page.get_by_role("link", name="编写群发短信").click()
    page.get_by_label("标题").fill("支部会议通知")
    page.get_by_label("单位（含下级）").select_option(label="会昌县")
    page.get_by_label("短信内容").press_sequentially("{姓名}同志：" + "请按时参加支部主题党日活动。" * 5)
    segments = page.get_by_test_id("segments")
    segments.wait_for()
    assert "共 2 条" in segments.inner_text()
    page.get_by_role("button", name="统计接收人数").click()
    assert "共 3 个手机号码" in page.get_by_test_id("count").inner_text()
    assert_no_axe_violations(page, "SMS compose")
    page.get_by_role("button", name="保存为草稿").click()
    page.get_by_role("button", name="统计人数并发送").click()
    assert page.get_by_test_id("state").inner_text() == "待审批"
    campaign = Campaign.objects.get()

    log_in(page, server, officers["head"])
    page.goto(f"{server}/work/sms/{campaign.pk}/")
    page.get_by_role("button", name="审批并发送").click()
    page.wait_for_url(f"**/work/sms/{campaign.pk}/")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DONE
    assert campaign.messages.filter(state=MessageState.DELIVERED).count() == 3
    page.reload()
    assert page.get_by_test_id("delivered").inner_text() == "3"
