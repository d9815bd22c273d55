"""A figure's numbers as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese), as an .xlsx workbook, or as
open-data JSON (the figure's key, title, unit and period, its labels and one list of numbers per named series)."""

from __future__ import annotations

import csv
import io
import json

from django.utils.translation import gettext as _
from openpyxl import Workbook

from dangjian.stats.registry import Figure, Period, Series

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# Excel guesses a legacy code page for a CSV without a BOM and shows Chinese as mojibake.
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def number(value: float | None) -> int | float | None:
    """Counts stay whole numbers in the file (3, not 3.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def text(value: str) -> str:
    """A label as inert text: a leading =, +, - or @ would make Excel (and openpyxl) treat it as a formula (OWASP
    "CSV injection"), so such a label gets a leading apostrophe."""
    value = str(value)
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def rows(series: Series) -> list[list]:
    """The table of a series: a header row (the item column, then one per named series), then one row per label."""
    names = list(series.values)
    out: list[list] = [[_("Item"), *names]]
    for i, label in enumerate(series.labels):
        out.append([label, *(number(series.values[name][i]) for name in names)])
    return out


def _file_rows(series: Series) -> list[list]:
    return [[text(cell) if isinstance(cell, str) else cell for cell in row] for row in rows(series)]


def filename(figure: Figure, period: Period, fmt: str) -> str:
    return f"{figure.key}_{period.slug}.{fmt}"


def to_csv(series: Series) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _file_rows(series):
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(figure: Figure, period: Period, series: Series) -> bytes:
    # write_only streams rows to the file: memory stays flat however long the series.
    workbook = Workbook(write_only=True)
    workbook.properties.title = str(figure.title)
    workbook.properties.subject = period.slug
    sheet = workbook.create_sheet(title=figure.key[-31:])  # Excel allows 31 characters in a sheet name
    for row in _file_rows(series):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_json(figure: Figure, period: Period, series: Series) -> bytes:
    """Open data: the same numbers as the CSV, as data rather than text (no formula guard is needed in JSON)."""
    document = {
        "key": figure.key,
        "title": str(figure.title),
        "unit": str(figure.unit),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "granularity": period.granularity},
        "labels": [str(label) for label in series.labels],
        "series": {str(name): [number(v) for v in values] for name, values in series.values.items()},
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
