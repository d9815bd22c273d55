"""The import page in a real browser: choose "cadres' positions", upload a file with a planted error, see it by row
and column, import the valid rows; the page and the check pass axe-core in the standard version and in 关怀版."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.models import Unit
from dangjian.services.registry.actions import PersonData, create_person
from dangjian.services.registry.models import Position
from tests.browser.a11y import assert_no_axe_violations
from tests.services.conftest import valid_id
from tests.services.registry.test_import_cadres_talents import POSITION_HEADER, position
from tests.services.test_browser_registry import admin, log_in  # noqa: F401  (the admin fixture)
from tests.services.workbooks import workbook

pytestmark = pytest.mark.browser


def test_an_administrator_imports_cadres_positions_also_in_care_mode(page, server, admin, tmp_path):  # noqa: F811
    data = PersonData(name="李四", branch=Unit.objects.get(code="B1"), id_number=valid_id("36073319900101123"),
                      joined_date=date(2015, 7, 1), full_member_date=date(2016, 7, 1))  # fmt: skip
    person = create_person(actor=None, data=data)
    log_in(page, server, admin)
    page.goto(f"{server}/work/registry/import/")
    assert_no_axe_violations(page, "the import page")
    page.get_by_role("button", name="关怀版（大字）").click()
    page.goto(f"{server}/work/registry/import/")
    assert "care" in (page.locator("body").get_attribute("class") or "")
    assert_no_axe_violations(page, "the import page in 关怀版")
    page.get_by_role("group", name="文件内容").get_by_label("干部职务").check()
    rows = [position(person), position(person, 职务="镇长", 职级="厅级")]
    path = tmp_path / "干部职务.xlsx"
    path.write_bytes(workbook(rows, header=POSITION_HEADER))
    page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(str(path))
    page.get_by_role("button", name="检查文件").click()
    page.locator("#summary").wait_for()
    problem = page.locator("table.problems tbody tr").first
    assert [problem.locator("td").nth(i).inner_text() for i in (0, 1)] == ["3", "职级"]
    assert_no_axe_violations(page, "the check of a positions file in 关怀版")
    page.get_by_role("button", name="只导入无误的行").click()
    page.locator("#summary").filter(has_text="新增").wait_for()
    assert Position.objects.get().title == "副镇长"
