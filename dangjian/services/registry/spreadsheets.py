"""Reading an uploaded spreadsheet that nobody vouches for, in bounded memory and time.

An .xlsx is a zip of XML: its members' sizes are checked before anything is unpacked (a zip bomb claims little and
unpacks to gigabytes; Python's zipfile never unpacks more than a member claims), the sheet's claimed dimension is
ignored (the rows are read as they are, not padded to it), rows are cut at `MAX_COLUMNS` cells and row numbers beyond
Excel's last row are refused. A .csv is UTF-8 (with or without byte-order mark, also a UTF-8 mark before GBK text,
as some converters write), UTF-16 with its mark, or GB18030 (GBK), what Excel on a Chinese Windows saves; anything
else is refused rather than read as mojibake. Every failure is an `ImportFileError` with a translated reason.
"""

from __future__ import annotations

import csv
import io
import pyexpat
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from xml.etree.ElementTree import iterparse as expat_iterparse

from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.functions import iterparse as defused_iterparse

from dangjian.core import archives

#: What all members of a workbook may unpack to: a 200,000-row sheet of the import template is about 130 MB.
MAX_UNPACKED = 256 * 1024 * 1024
#: openpyxl keeps the shared strings in memory while it reads.
MAX_SHARED_STRINGS = 64 * 1024 * 1024
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
    shared = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if archives.is_bomb(members, max_unpacked=MAX_UNPACKED) or shared > MAX_SHARED_STRINGS:
        raise ImportFileError(
            _("The workbook unpacks to %(size)s MB, far more than a registry sheet holds: it is damaged or made to "
              "overload the server. Save it again from Excel, WPS or LibreOffice, or as CSV.")
            % {"size": unpacked // (1024 * 1024)}
        )  # fmt: skip


#: The sheet's XML is parsed by Python's own C parser where its expat limits entity expansion (2.4.1 and later:
#: "billion laughs" and quadratic blow-up refused; ElementTree never fetches external entities; see the "XML
#: vulnerabilities" table of Python's `xml` documentation), else by defusedxml's, whose handlers in Python take
#: about three times as long.
iterparse = expat_iterparse if pyexpat.version_info >= (2, 4, 1) else defused_iterparse
#: SpreadsheetML's namespace, and the elements the rows are read from.
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _SHEET_DATA, _VALUE, _INLINE, _TEXT, _RUN = (_NS + t for t in ("row", "sheetData", "v", "is", "t", "r"))


@lru_cache(maxsize=4096)
def _column_index(reference: str) -> int:
    """A cell reference's column as a 0-based index: A1 → 0, AA7 → 26. Raises ValueError for what is none."""
    letters = reference.rstrip("0123456789").replace("$", "").upper()
    if not (1 <= len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        raise ValueError(f"not a cell reference: {reference[:20]}")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _number(text: str) -> int | float:
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def _text(element) -> str:
    """The text of an inline string (`<is>`): its plain part and its runs' (phonetic guides left out), as openpyxl
    reads it. Children are walked by hand: ElementTree's `find` goes through its path machinery in Python."""
    parts = []
    for child in element:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.extend(t.text or "" for t in child if t.tag == _TEXT)
    return "".join(parts)


class _Book:
    """What the cells of a workbook's first worksheet need: the shared strings, the styles that make a number a
    date (and the workbook's date epoch), and the worksheet's part in the archive. openpyxl reads these; the
    worksheet's rows are read here (`rows`): openpyxl's read-only worksheet parses the whole sheet once to
    find its dimension when the file states none (as openpyxl itself writes them) and builds objects per cell;
    it took three times as long on a 20,000-row sheet (3.8 s against 1.3 s, docs/benchmarks.md)."""

    def __init__(self, content: bytes):
        self.reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
        self.reader.read_manifest()
        self.reader.read_strings()
        self.reader.read_workbook()
        apply_stylesheet(self.reader.archive, self.reader.wb)
        book = self.reader.wb
        self.strings = self.reader.shared_strings
        self.epoch = book.epoch
        self.dates = frozenset(book._date_formats)  # openpyxl's own reader uses these two the same way
        self.durations = frozenset(book._timedelta_formats)
        sheets = [rel.target for _sheet, rel in self.reader.parser.find_sheets()
                  if rel.target in self.reader.valid_files and "chartsheet" not in rel.Type]  # fmt: skip
        if not sheets:
            raise ValueError("no worksheet")
        self.sheet = sheets[0]

    def close(self) -> None:
        self.reader.archive.close()

    def value(self, cell) -> object:
        """A cell's value as openpyxl gives it with `data_only` (a formula's last computed value)."""
        kind = cell.get("t", "n")
        wanted = _INLINE if kind == "inlineStr" else _VALUE
        found = next((child for child in cell if child.tag == wanted), None)
        if kind == "inlineStr":
            return None if found is None else _text(found)
        text = None if found is None else found.text
        if not text:
            return None
        if kind == "n":
            style = int(cell.get("s", 0))
            if style in self.dates:
                try:
                    return from_excel(_number(text), self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # a serial beyond the dates Python has: an error cell, as openpyxl reads it
            return _number(text)
        if kind == "s":
            return self.strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        return text  # "str" (a formula's text) and "e" (an error such as #N/A)

    def rows(self) -> Iterator[tuple[int, list]]:
        """(row number, values up to `MAX_COLUMNS`, None where a cell is missing) of every row the sheet has."""
        with self.reader.archive.open(self.sheet) as source:
            sheet_data = None
            number = 0
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    if element.tag == _SHEET_DATA:
                        sheet_data = element
                    continue
                if element.tag != _ROW:
                    continue
                number = int(element.get("r") or number + 1)
                if number > EXCEL_LAST_ROW:
                    raise ImportFileError(
                        _("The sheet has rows beyond row %(n)s, Excel's last.") % {"n": EXCEL_LAST_ROW}
                    )
                values: list = []
                column = -1
                for cell in element:
                    ref = cell.get("r")
                    column = _column_index(ref) if ref else column + 1
                    if column >= MAX_COLUMNS:
                        break
                    if column < len(values):  # out of order: the later cell wins, as in openpyxl
                        values[column] = self.value(cell)
                        continue
                    values.extend([None] * (column - len(values)))
                    values.append(self.value(cell))
                if sheet_data is not None:
                    sheet_data.clear()  # the rows read so far: memory stays that of one row
                yield number, values


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    _check_archive(content)
    try:
        book = _Book(content)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise _not_a_workbook() from exc
    try:
        for number, row in book.rows():
            cells = _cells(row)
            if cells:
                yield number, cells
    except ImportFileError:
        raise
    except Exception as exc:  # broken XML, a damaged member (CRC), a cell that cannot be parsed
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
