"""The record tabs and the cadre alerts in a real browser: a branch secretary adds a reward, is refused a future date
with an error summary, corrects it and sees it on the record; the pages pass axe-core (WCAG 2.1 AA), also in 关怀版."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.core.models import RoleKind
from dangjian.services.registry import actions
from dangjian.services.registry.models import RewardPunishment
from tests.browser.a11y import assert_no_axe_violations
from tests.core.otp import code_for
from tests.services.conftest import valid_id

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture
def secretary(make_user, branches):
    user = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]), password=PASSWORD)
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_a_secretary_records_a_reward_and_sees_the_alerts(page, server, secretary, make_person):
    person = make_person("王芳", is_cadre=True, id_number=valid_id("36073319640101123"))
    actions.add_position(actor=None, person=person, title="村党支部书记", start=date(2021, 1, 1), term_years=5)
    page.goto(f"{server}/work/registry/{person.pk}/")
    page.get_by_label("用户名").fill("sec")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="继续").click()
    page.wait_for_url("**/accounts/otp/**")
    page.get_by_label("验证码").fill(code_for(secretary))
    page.get_by_role("main").get_by_role("button", name="验证").click()
    page.wait_for_url(f"**/work/registry/{person.pk}/")
    assert_no_axe_violations(page, "the record tabs")

    page.get_by_role("link", name="新增奖惩").click()
    page.get_by_label("类型").select_option("reward")
    page.get_by_label("名称").fill("优秀共产党员")
    page.get_by_label("日期").fill("2099-07-01")
    page.get_by_role("button", name="保存").click()
    summary = page.get_by_role("alert").filter(has_text="未保存任何内容")
    assert "决定日期不能晚于今天" in summary.inner_text()
    assert not RewardPunishment.objects.exists()
    assert_no_axe_violations(page, "a refused record tab form")

    page.get_by_label("日期").fill("2021-07-01")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/work/registry/{person.pk}/#rewards")
    assert "优秀共产党员" in page.get_by_role("region", name="奖惩情况").inner_text()

    page.get_by_role("button", name="关怀版（大字）").click()
    page.goto(f"{server}/work/registry/cadres/alerts/")
    rows = page.get_by_role("row").filter(has_text="王芳")
    assert rows.count() == 2  # past retirement age (born 1964), and the term ending on 1 January 2026
    assert "care" in (page.locator("body").get_attribute("class") or "")
    assert_no_axe_violations(page, "the cadre alerts in 关怀版")
