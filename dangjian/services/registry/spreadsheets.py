"""Reading an uploaded spreadsheet that nobody vouches for, in bounded memory and time.

An .xlsx is a zip of XML: its members' sizes are checked before anything is unpacked (a zip bomb claims little and
unpacks to gigabytes; Python's zipfile never unpacks more than a member claims), the sheet's claimed dimension is
ignored (openpyxl would otherwise pad every row to it), rows are cut at `MAX_COLUMNS` cells and row numbers beyond
Excel's last row are refused. A .csv is UTF-8 (with or without byte-order mark, also a UTF-8 mark before GBK text,
as some converters write), UTF-16 with its mark, or GB18030 (GBK), what Excel on a Chinese Windows saves; anything
else is refused rather than read as mojibake. Every failure is an `ImportFileError` with a translated reason.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from django.utils.translation import gettext as _
from openpyxl import load_workbook

#: What all members of a workbook may unpack to: a 200,000-row sheet of the import template is about 130 MB.
MAX_UNPACKED = 256 * 1024 * 1024
#: openpyxl keeps the shared strings in memory while it reads.
MAX_SHARED_STRINGS = 64 * 1024 * 1024
#: A member larger than `RATIO_FLOOR` unpacking to more than `MAX_RATIO` times its packed size is a bomb: real
#: sheets pack 10 to 20 times.
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024
MAX_COLUMNS = 100
EXCEL_LAST_ROW = 1_048_576


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, size, header)."""


def _cell(value) -> str | date:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cells(row) -> list:
    end = min(len(row), MAX_COLUMNS)
    while end and row[end - 1] is None:  # openpyxl pads every row to MAX_COLUMNS
        end -= 1
    cells = [_cell(c) for c in row[:end]]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(_("The file is not an Excel workbook (.xlsx) or a CSV file."))


def _check_archive(content: bytes) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _not_a_workbook() from exc
    unpacked = sum(m.file_size for m in members)
    bomb = any(m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members)
    shared = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if bomb or unpacked > MAX_UNPACKED or shared > MAX_SHARED_STRINGS:
        raise ImportFileError(
            _("The workbook unpacks to %(size)s MB, far more than a registry sheet holds: it is damaged or made to "
              "overload the server. Save it again from Excel, WPS or LibreOffice, or as CSV.")
            % {"size": unpacked // (1024 * 1024)}
        )  # fmt: skip


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    _check_archive(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise _not_a_workbook() from exc
    try:
        sheet.reset_dimensions()  # the claimed dimension may say A1:XFD1048576: read the cells that are there
        # An explicit (unreachable) last row: openpyxl would otherwise parse the whole sheet once more to find it.
        rows = sheet.iter_rows(max_row=sys.maxsize, max_col=MAX_COLUMNS, values_only=True)
        for number, row in enumerate(rows, start=1):
            if number > EXCEL_LAST_ROW:
                raise ImportFileError(_("The sheet has rows beyond row %(n)s, Excel's last.") % {"n": EXCEL_LAST_ROW})
            if row.count(None) == len(row):
                continue
            cells = _cells(row)
            if cells:
                yield number, cells
    except ImportFileError:
        raise
    except Exception as exc:  # broken XML, a damaged member (CRC), a cell openpyxl cannot parse
        raise ImportFileError(_("The workbook is damaged and cannot be read to the end.")) from exc
    finally:
        book.close()


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        body = content.removeprefix(b"\xef\xbb\xbf")
        for codec in ("utf-8", "gb18030"):
            try:
                return body.decode(codec)
            except UnicodeDecodeError:
                continue
    raise ImportFileError(
        _("The CSV file is not UTF-8 or GB18030 (GBK) text. Save it again as “CSV UTF-8” or as an Excel workbook.")
    )


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","  # Excel's "Unicode text" is tabbed
    number = 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            cells = _cells(row)
            if cells:
                yield number, cells
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file cannot be read near line %(line)s (a cell too long, or a stray quote).") % {"line": number}
        ) from exc


def read_rows(content: bytes, filename: str) -> Iterator[tuple[int, list]]:
    """(row number as the spreadsheet shows it, cells) of every row that is not empty, the header first.

    Raises `ImportFileError`, possibly only while iterating."""
    if filename.lower().endswith(".csv"):
        return _csv_rows(content)
    return _xlsx_rows(content)
