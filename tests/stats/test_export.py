"""CSV with a byte-order mark and .xlsx workbooks carry exactly the numbers of the figure."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.utils import translation

from dangjian.stats import export
from dangjian.stats.registry import Figure, Period, Series

SERIES = Series(labels=["2026-01", "2026-02"], values={"发送": [3.0, 4.0], "失败率": [0.25, None]})
FIGURE = Figure("platform.test_export", "通知", "platform", False, "line", lambda p, s: SERIES)
PERIOD = Period(date(2026, 1, 1), date(2026, 2, 28), "month")


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def test_csv_starts_with_a_bom_and_holds_the_rows():
    data = export.to_csv(SERIES)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["项目", "发送", "失败率"], ["2026-01", "3", "0.25"], ["2026-02", "4", ""]]


def test_xlsx_opens_with_the_same_cells():
    workbook = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(FIGURE, PERIOD, SERIES)))
    sheet = workbook.active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["项目", "发送", "失败率"],
        ["2026-01", 3, 0.25],
        ["2026-02", 4, None],
    ]
    assert workbook.properties.title == "通知"


def test_a_label_that_looks_like_a_formula_is_written_as_text():
    hostile = Series(labels=['=HYPERLINK("x")', "+1", "文武坝镇"], values={"n": [1, 2, 3]})
    rows = list(csv.reader(io.StringIO(export.to_csv(hostile).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("x")', "'+1", "文武坝镇"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(FIGURE, PERIOD, hostile))).active
    assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A2"].data_type == "s"


def test_file_name_holds_the_figure_key_and_the_period():
    assert export.filename(FIGURE, PERIOD, "csv") == "platform.test_export_2026-01-01_2026-02-28_month.csv"
