"""The registry in a real browser: an administrator imports a 1,000-row workbook with 20 planted errors and sees
each of them by row; fixes the file and imports it; finds a member by pinyin initials and sees the masked ID; the
branch ledger shows the month."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.core import actions as core_actions
from dangjian.core.models import RoleKind, UnitKind
from dangjian.services.registry.models import Person
from tests.browser.a11y import assert_no_axe_violations
from tests.core.otp import code_for
from tests.services.workbooks import person_row, planted_rows, workbook

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


@pytest.fixture
def admin(tree, make_user, settings):
    # The live server runs in this process: background tasks run at once, as a worker would run them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    core_actions.create_unit(actor=None, code="B1", name="上坑村党支部", kind=UnitKind.BRANCH, parent=tree["v1"])
    user = make_user("orgadmin", (RoleKind.ORG_ADMIN, tree["county"]), password=PASSWORD)
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def log_in(page, server, device) -> None:
    page.goto(f"{server}/work/registry/")
    page.get_by_label("用户名").fill("orgadmin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="继续").click()
    page.wait_for_url("**/accounts/otp/**")
    page.get_by_label("验证码").fill(code_for(device))
    page.get_by_role("main").get_by_role("button", name="验证").click()
    page.wait_for_url("**/work/registry/")


def upload(page, server, tmp_path, content: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    page.goto(f"{server}/work/registry/import/")
    page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(str(path))
    page.get_by_role("button", name="检查文件").click()
    page.wait_for_url(re.compile(r".*/work/registry/import/\d+/$"))
    page.locator("#summary").wait_for()


def test_import_search_and_ledger(page, server, admin, tmp_path):
    log_in(page, server, admin)
    rows, planted = planted_rows(1000, "B1", 20)
    upload(page, server, tmp_path, workbook(rows), "党员信息.xlsx")
    assert "20行有问题" in page.locator("#summary").inner_text()
    shown = {
        (int(r.locator("td").nth(0).inner_text()), r.locator("td").nth(1).inner_text())
        for r in page.locator("table.problems tbody tr").all()
    }
    assert shown == set(planted.items())
    assert page.get_by_role("button", name="导入全部行").count() == 0
    assert_no_axe_violations(page, "the import check")

    fixed = [person_row(i, "B1") for i in range(1000)]
    fixed[0][0] = "欧阳修远"  # a name no other row has
    upload(page, server, tmp_path, workbook(fixed), "党员信息（已改）.xlsx")
    page.get_by_role("button", name="导入全部行").click()
    page.locator("#summary").wait_for()
    assert "新增1000" in page.locator("#summary").inner_text()
    assert Person.objects.count() == 1000

    target = Person.objects.get(name="欧阳修远")
    assert target.name_initials == "oyxy"
    page.goto(f"{server}/work/registry/")
    registry_search = page.get_by_role("search", name="查询信息库")  # not the site header's search
    registry_search.get_by_label("姓名、拼音、首字母、身份证号或手机号").fill(target.name_initials)
    registry_search.get_by_role("button", name="搜索", exact=True).click()
    row = page.get_by_role("row").filter(has_text=target.name)
    assert row.count() == 1
    masked = f"{target.id_number[:4]}{'*' * 10}{target.id_number[-4:]}"
    assert masked in row.inner_text() and target.id_number not in page.content()

    month = timezone.localdate().strftime("%Y-%m")
    page.goto(f"{server}/work/dues/?unit={target.branch_id}&month={month}")
    page.get_by_role("button", name="计算本月党费").click()
    page.wait_for_url("**/work/dues/**")
    assert "已计算" in page.get_by_role("main").inner_text()
    totals = page.get_by_role("region", name="合计").inner_text()
    assert "1000" in totals and "200.00" in totals
    assert_no_axe_violations(page, "the branch ledger")
