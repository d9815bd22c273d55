"""In a real browser: an anonymous citizen writes a letter and gets a receipt; the office dispatches; the unit
follows up and writes the result; the head signs it off; the citizen looks it up with the receipt, rates it and
reads it published with personal data masked."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.core.models import RoleKind
from dangjian.supervision import actions
from dangjian.supervision.models import Letter, Status
from tests.browser.a11y import assert_no_axe_violations, screenshot
from tests.core.otp import code_for

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


def log_in(page, server: str, user) -> None:
    device = TOTPDevice.objects.get_or_create(user=user, name="phone", defaults={"confirmed": True})[0]
    page.context.clear_cookies()
    page.goto(f"{server}/work/supervision/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="继续").click()
    page.wait_for_url("**/accounts/otp/**")
    page.get_by_label("验证码").fill(code_for(device))
    page.get_by_role("main").get_by_role("button", name="验证").click()
    page.wait_for_url(f"{server}/work/supervision/")


def test_the_life_of_an_anonymous_letter(page, server, artifacts, channels, tree, make_user):
    office = make_user("office", (RoleKind.SUPERVISION_OFFICE, tree["county"]), password=PASSWORD)
    responder = make_user("responder", (RoleKind.RESPONDER, tree["t1"]), password=PASSWORD)
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]), password=PASSWORD)

    page.goto(f"{server}/supervision/")
    page.get_by_role("link", name="给书记信箱写信").click()
    assert page.get_by_role("heading", level=1).inner_text() == "给书记信箱写信"
    assert_no_axe_violations(page, "the letter form")
    page.get_by_label("标题").fill("村道路灯损坏多日无人维修")
    page.get_by_label("您的来信").fill("我叫刘建华，电话13907970000。上坑村的路灯坏了两个多月。")
    page.get_by_label("匿名来信").check()
    page.get_by_role("button", name="提交来信").click()
    assert page.get_by_role("heading", level=1).inner_text() == "您的来信已收到"
    receipt = page.locator("#receipt").inner_text().strip()
    assert len(receipt.replace("-", "")) == 16
    assert_no_axe_violations(page, "the receipt page")
    screenshot(page, artifacts / "supervision-receipt.png")
    letter = Letter.objects.get()
    assert letter.is_anonymous and letter.contact_name == ""

    actions.dispatch_letter(actor=office, letter=letter, unit=tree["t1"])

    log_in(page, server, responder)
    page.get_by_role("link", name="村道路灯损坏多日无人维修").click()
    page.get_by_label("跟帖内容").fill("来信收悉，已安排工作人员现场核查。")
    page.get_by_role("button", name="发布跟帖").click()
    assert "已以单位名义发布跟帖" in page.get_by_role("status").inner_text()
    page.get_by_label("处理结果", exact=True).fill("经核查，已更换路灯三盏，恢复照明。")
    page.get_by_role("button", name="提交审签").click()
    assert page.locator("#status").inner_text() == "待审签"
    assert_no_axe_violations(page, "the unit's letter page")

    log_in(page, server, head)
    page.get_by_role("link", name="村道路灯损坏多日无人维修").click()
    page.get_by_role("button", name="审签并发布").click()
    assert page.locator("#status").inner_text() == "已答复"

    page.context.clear_cookies()
    page.goto(f"{server}/supervision/lookup/")
    page.get_by_label("查询码").fill(receipt.lower())
    page.get_by_role("button", name="查询").click()
    assert page.locator("#status").inner_text() == "已答复"
    assert "已更换路灯三盏" in page.get_by_role("main").inner_text()
    assert receipt not in page.url
    assert_no_axe_violations(page, "the letter's status page")
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    assert page.locator("#status").inner_text() == "已办结"
    assert Letter.objects.get().status == Status.CLOSED

    page.goto(f"{server}/supervision/letters/")
    page.get_by_role("link", name="村道路灯损坏多日无人维修").click()
    main = page.get_by_role("main").inner_text()
    assert "已更换路灯三盏" in main and "文武坝镇" in main
    assert "刘建华" not in main and "13907970000" not in main
    assert_no_axe_violations(page, "the published letter")
    screenshot(page, artifacts / "supervision-published.png")
