"""Hostile spreadsheets (issue 8), made in the test: a zip bomb dressed as .xlsx, a file that is no zip at all, a
CSV in GBK behind a UTF-8 byte-order mark, formula cells, a sheet claiming the largest dimension Excel allows.
Each gets a clear reason or is read as it really is, stores nothing it should not, never a 500, and stays within
bounded time and memory; exports turn every cell that would run as a formula into inert text."""

import csv
import io
import re
import time
import tracemalloc
import zipfile

import pytest
from django.utils.html import escape
from openpyxl import load_workbook

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import importing, spreadsheets
from dangjian.services.registry.models import ImportJob, ImportState, Person
from tests.services import workbooks

pytestmark = pytest.mark.django_db
FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"]


def zip_bomb() -> bytes:
    """A valid-looking workbook whose sheet unpacks from about 64 KB to 64 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"0" * (1 << 20)
            for _ in range(64):
                member.write(chunk)
    return buffer.getvalue()


def not_a_zip() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096  # an old .xls renamed


def rewritten(content: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return buffer.getvalue()


def claimed_dimension(extra_row: int | None = None) -> bytes:
    """Three good rows in a sheet that claims A1:XFD1048576; optionally one more cell far down."""
    content = workbooks.workbook([workbooks.person_row(i, "B1") for i in range(3)])

    def change(xml: str) -> str:
        xml = re.sub(r"<dimension [^>]*/>", "", xml)
        xml = xml.replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>', 1)
        if extra_row:
            cell = f'<row r="{extra_row}"><c r="XFD{extra_row}" t="inlineStr"><is><t>x</t></is></c></row>'
            xml = xml.replace("</sheetData>", cell + "</sheetData>")
        return xml

    return rewritten(content, change)


def gbk_csv_behind_a_bom() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(workbooks.HEADER)
    for i in range(3):
        writer.writerow(workbooks.person_row(i, "B1"))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("gbk")


def formula_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [*workbooks.HEADER, "家庭住址", "工作单位及职务"]
    writer.writerow(header)
    for i, formula in enumerate(FORMULAS):
        row = [*workbooks.person_row(i, "B1"), "", ""]
        row[header.index(("姓名", "家庭住址", "工作单位及职务", "姓名")[i])] = formula
        writer.writerow(row)
    return buffer.getvalue().encode()


REFUSED = {
    "bomb.xlsx": (zip_bomb, "MB"),
    "old.xlsx": (not_a_zip, "Excel"),
    "far.xlsx": (lambda: claimed_dimension(extra_row=spreadsheets.EXCEL_LAST_ROW + 1), "1048576"),
    "garbled.csv": (lambda: b"\xef\xbb\xbf\xe5\xa7\x93\x80\x81,\xff\xfe\n", "GB18030"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_hostile_file_is_refused_with_a_clear_reason_in_bounded_time(branches, name):
    make, reason = REFUSED[name]
    content = make()
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(importing.ImportFileError, match=reason):
            importing.check(content, name, user=None)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 30 and peak < 32 * 1024 * 1024
    assert not Person.objects.exists()


def test_a_claimed_dimension_is_ignored_and_the_cells_that_are_there_are_read(branches):
    started = time.monotonic()
    report = importing.check(claimed_dimension(extra_row=spreadsheets.EXCEL_LAST_ROW), "big.xlsx", user=None)
    assert time.monotonic() - started < 20
    assert report.total == 3 and not report.problems and len(report.new) == 3


def test_a_gbk_csv_behind_a_utf8_byte_order_mark_is_read_as_gbk(branches):
    report = importing.check(gbk_csv_behind_a_bom(), "gbk.csv", user=None)
    assert not report.problems and [d.name for d in report.new] == [workbooks.person_row(i, "B1")[0] for i in range(3)]


def test_a_cell_that_would_run_as_a_formula_is_a_problem_of_its_row_and_column(branches):
    report = importing.check(formula_csv(), "f.csv", user=None)
    assert {(p.row, p.column) for p in report.problems} == {(2, "姓名"), (3, "家庭住址"), (4, "工作单位及职务"),
                                                            (5, "姓名")}  # fmt: skip
    assert not report.new


@pytest.mark.parametrize("name", list(REFUSED))
def test_the_pages_show_the_reason_never_a_500_and_the_job_ends_failed(
    staff_client, branches, immediate_tasks, django_capture_on_commit_callbacks, name
):
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    upload = io.BytesIO(REFUSED[name][0]())
    upload.name = name
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/work/registry/import/", {"file": upload})
    job = ImportJob.objects.get()
    assert job.state == ImportState.FAILED and job.error
    page = c.get(response["Location"])
    assert page.status_code == 200 and escape(job.error) in page.content.decode()
    assert c.post(f"/work/registry/import/{job.pk}/apply/", {"only_valid": "1"}).status_code == 302
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and not Person.objects.exists()


def test_exports_turn_formula_cells_into_inert_text(staff_client, make_person, branches):
    make_person(FORMULAS[0], address=FORMULAS[1], work_unit=FORMULAS[2], native_place=FORMULAS[3], tags=["=1+1"])
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    query = {"fields": ["name", "address", "work_unit", "native_place", "tags"]}
    response = c.get("/work/registry/export/", {**query, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    cells = [cell for cell in list(sheet.iter_rows())[1]]
    assert all(cell.data_type == "s" and cell.value[0] not in "=+-@" for cell in cells)
    assert [cell.value for cell in cells][:4] == [f"'{f}" for f in FORMULAS]
    response = c.get("/work/registry/export/", {**query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert all(value[:1] not in ("=", "+", "-", "@") for value in rows[1])
    assert AuditRecord.objects.filter(verb="person.export").count() == 2
