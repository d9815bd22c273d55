"""A staff user logs in with password and TOTP code in a real browser and lands on the workbench."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.core.models import RoleKind
from tests.browser.a11y import assert_no_axe_violations, screenshot
from tests.core.otp import code_for

PASSWORD = "correct-horse-battery"


def log_in(page, server: str, username: str, password: str) -> None:
    page.goto(f"{server}/work/")
    assert "/accounts/login/" in page.url, "the workbench let an anonymous visitor in"
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("main").get_by_role("button", name="继续").click()


def test_staff_user_logs_in_with_totp_and_sees_the_workbench(page, server, artifacts, tree, make_user):
    user = make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"]), (RoleKind.EDITOR, tree["d1"]), password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    log_in(page, server, "t1head", PASSWORD)
    page.wait_for_url("**/accounts/otp/**")
    assert page.get_by_role("heading", level=1).inner_text() == "两步验证"
    assert_no_axe_violations(page, "the verification page")
    page.get_by_label("验证码").fill(code_for(device))
    page.get_by_role("main").get_by_role("button", name="验证").click()

    page.wait_for_url(f"{server}/work/")
    assert page.get_by_role("heading", level=1).inner_text() == "工作台"
    roles = page.get_by_role("region", name="我的角色").inner_text()
    assert "文武坝镇" in roles and "县委组织部" in roles
    assert_no_axe_violations(page, "the workbench")
    screenshot(page, artifacts / "workbench.png")


def test_a_wrong_code_keeps_the_staff_user_out_of_the_workbench(page, server, tree, make_user):
    user = make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"]), password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    log_in(page, server, "t1head", PASSWORD)
    page.wait_for_url("**/accounts/otp/**")
    page.get_by_label("验证码").fill(wrong)
    page.get_by_role("main").get_by_role("button", name="验证").click()
    assert page.get_by_role("heading", level=1).inner_text() == "两步验证"
    assert page.locator(".errorlist, [role=alert]").count() >= 1
    page.goto(f"{server}/work/")
    assert "/accounts/otp/" in page.url
