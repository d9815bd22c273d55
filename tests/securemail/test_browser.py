"""In Chromium: a township sends an encrypted document with an attachment to three departments; each reads it and
downloads the attachment; a fourth department cannot open it; a declared 干部任免 document is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.services.securemail.models import Message
from tests.browser.a11y import assert_no_axe_violations, screenshot
from tests.core.otp import code_for
from tests.securemail.conftest import PASS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOGIN_PASSWORD = "correct-horse-battery"  # make_user's default
CONTENT = "一、组织生活会记录\n二、党费收缴情况\n".encode()


@pytest.fixture
def suite_name(settings):
    settings.SECUREMAIL_SUITE = "nacl"  # the browser walks the default suite; the actions tests cover both
    return "nacl"


def log_in(tab, base: str, user) -> None:
    tab.context.clear_cookies()
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    tab.goto(f"{base}/work/mail/")
    tab.get_by_label("用户名").fill(user.username)
    tab.get_by_label("密码").fill(LOGIN_PASSWORD)
    tab.get_by_role("main").get_by_role("button", name="继续").click()
    tab.wait_for_url("**/accounts/otp/**")
    tab.get_by_label("验证码").fill(code_for(device))
    tab.get_by_role("main").get_by_role("button", name="验证").click()
    tab.wait_for_url(f"{base}/work/mail/")


def unlock(tab) -> None:
    tab.wait_for_url("**/work/mail/unlock/**")
    tab.get_by_label("邮件口令").fill(PASS)
    tab.get_by_role("main").get_by_role("button", name="解锁").click()


def compose(tab, base: str, tmp_path, *, category: str) -> None:
    tab.goto(f"{base}/work/mail/compose/")
    if "/unlock/" in tab.url:
        unlock(tab)
    tab.wait_for_url("**/work/mail/compose/")
    for name in ("县委组织部", "县委宣传部", "县纪委"):
        tab.get_by_label(name, exact=True).check()
    tab.get_by_label("类别").select_option(category)
    tab.get_by_label("文号").fill("会文发〔2026〕8号")
    tab.get_by_label("标题").fill("关于报送2026年党建材料的通知")
    tab.get_by_label("正文").fill("请各部门于月底前报送。")
    attachment = tmp_path / "材料清单.txt"
    attachment.write_bytes(CONTENT)
    tab.get_by_label("附件").set_input_files(str(attachment))
    tab.get_by_role("button", name="加密发送").click()


def test_township_sends_to_three_departments_each_reads_a_fourth_cannot(page, server, network, tmp_path, artifacts):
    log_in(page, server, network.officers["t1"])
    compose(page, server, tmp_path, category="cadre_appointment")
    assert "干部任免材料不得通过加密邮件网络传送" in page.get_by_role("main").inner_text()
    assert not Message.objects.exists()

    page.get_by_label("类别").select_option("notice")
    assert_no_axe_violations(page, "the compose page")
    compose(page, server, tmp_path, category="notice")
    page.wait_for_url("**/work/mail/*-*/")
    message = Message.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == "关于报送2026年党建材料的通知"

    for key in ("d1", "d2", "d3"):
        log_in(page, server, network.officers[key])
        page.locator("table.mail-list a").first.click()
        unlock(page)
        page.wait_for_url(f"**/work/mail/{message.pk}/")
        main = page.get_by_role("main").inner_text()
        assert "关于报送2026年党建材料的通知" in main and "请各部门于月底前报送。" in main
        assert "验证通过：由文武坝镇签名" in main
        with page.expect_download() as info:
            page.get_by_role("link", name="材料清单.txt").click()
        assert info.value.suggested_filename == "材料清单.txt"
        assert Path(info.value.path()).read_bytes() == CONTENT
        if key == "d1":
            assert_no_axe_violations(page, "the read page")
            screenshot(page, artifacts / "securemail-read.png")

    log_in(page, server, network.officers["d4"])
    assert page.locator("table.mail-list a").count() == 0
    page.goto(f"{server}/work/mail/{message.pk}/")
    with page.expect_response(lambda r: r.url == f"{server}/work/mail/{message.pk}/") as response:
        unlock(page)
    assert response.value.status == 404
    assert "关于报送2026年党建材料的通知" not in page.content()
