"""Spreadsheets of people for the import tests and benchmarks: n valid rows, and a way to plant known errors."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import Workbook

from dangjian.services.registry.identity import check_char

HEADER = [
    "姓名",
    "公民身份号码",
    "性别",
    "民族",
    "手机号码",
    "所在党组织",
    "人员类别",
    "入党日期",
    "转正日期",
    "党费类别",
]
SURNAMES = "刘陈李张王钟曾黄邱赖谢肖温朱周罗"
GIVEN = "建华秀英国平丽萍志强桂兰春生小燕永明红梅海军美玲德胜翠英晓东金凤文斌淑珍"
FIRST_BIRTHDAY = date(1950, 1, 1)


def id_number(i: int) -> str:
    """A distinct valid ID number for every i below 18,000 × 1,000."""
    born = FIRST_BIRTHDAY + timedelta(days=i % 18_000)
    first17 = f"360733{born:%Y%m%d}{i // 18_000:03d}"
    return first17 + check_char(first17)


def person_row(i: int, branch: str) -> list:
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 3 + 1) % len(GIVEN)]
    return [name, id_number(i), "", "汉族", f"139{i:08d}", branch, "正式党员", "2010-07-01", "2011-07-01", "农民"]


#: (column index, bad value, column header): one error of each kind, in turn.
PLANTS = [
    (1, "360733198501011230", "公民身份号码"),  # wrong check character
    (5, "不存在的支部", "所在党组织"),
    (7, "2010-13-45", "入党日期"),
    (4, "1234567", "手机号码"),
    (3, "火星族", "民族"),
]


def planted_rows(n: int, branch: str, errors: int) -> tuple[list[list], dict[int, str]]:
    """n rows with `errors` planted problems spread through the file; {spreadsheet row: column header}."""
    rows = [person_row(i, branch) for i in range(n)]
    planted = {}
    for k in range(errors):
        index = (k * n) // errors + 3
        column, value, header = PLANTS[k % len(PLANTS)]
        rows[index][column] = value
        planted[index + 2] = header  # row 1 is the header
    return rows, planted


def workbook(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
