"""The workbook reader reads what openpyxl reads: a sheet as Excel, WPS and LibreOffice write it (shared strings,
rich text with phonetic guides, dates as numbers in a date style, numbers, booleans, formulas' last values, error
cells, cells and rows left out) and as openpyxl writes it (inline strings, no dimension)."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from dangjian.services.registry import importing, spreadsheets
from tests.services import workbooks

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHARED = ["姓名", "公民身份号码", "所在党组织", "张三", "B1", "正式党员", "转正日期", "人员类别"]
RICH = len(SHARED)  # the shared string of rich text: 入党日期
ROWS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
    f'<c r="D1" t="s"><v>{RICH}</v></c><c r="E1" t="s"><v>6</v></c><c r="F1" t="s"><v>7</v></c></row>'
    # B2 a formula's text; C2 shared; D2 and E2 dates (serial numbers in a date style); G2 left out; H2 a
    # formula's number; I2 a boolean; J2 an error; K2 a plain number.
    '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="str"><f>A9</f><v>360733199001011237</v></c>'
    '<c r="C2" t="s"><v>4</v></c><c r="D2" s="1"><v>40360</v></c><c r="E2" s="1"><v>40725</v></c>'
    '<c r="F2" t="s"><v>5</v></c><c r="H2"><f>1+1</f><v>2</v></c><c r="I2" t="b"><v>1</v></c>'
    '<c r="J2" t="e"><v>#N/A</v></c><c r="K2" s="0"><v>13912345678</v></c></row>'
    # Row 3 left out; row 4 without cell references; row 5 a float and an ISO date cell.
    '<row r="4"><c t="s"><v>3</v></c><c><v>1.5</v></c></row>'
    '<row r="5"><c r="B5"><v>2.25</v></c><c r="C5" t="d"><v>2015-07-01T00:00:00</v></c></row>'
)


def excel_like() -> bytes:
    """A workbook with the parts Excel writes: shared strings (one of rich text with a phonetic guide, 党员 with
    dǎngyuán over it) and a date style."""
    strings = "".join(f"<si><t>{s}</t></si>" for s in SHARED)
    strings += '<si><r><t>入党</t></r><r><rPr><b/></rPr><t>日期</t></r><rPh sb="0" eb="2"><t>rùdǎng</t></rPh></si>'
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook {NS} xmlns:r="{RELS}"><sheets><sheet name="人员信息" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<styleSheet {NS}><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月'
            '&quot;d&quot;日&quot;"/></numFmts><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/></cellXfs></styleSheet>'
        ),
        "xl/sharedStrings.xml": f'<sst {NS} count="{len(SHARED) + 1}">{strings}</sst>',
        "xl/worksheets/sheet1.xml": f'<worksheet {NS}><dimension ref="A1:K5"/><sheetData>{ROWS}</sheetData>'
        "</worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return buffer.getvalue()


def openpyxl_written() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(workbooks.HEADER)
    sheet.append(workbooks.person_row(1, "B1"))
    sheet.append([])
    sheet.append(["李四", None, None, datetime(2015, 7, 1, 8, 30), date(2016, 7, 1), 3.0, True, "=1+2"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_openpyxl_reads(content: bytes) -> list[tuple[int, list]]:
    """The rows through openpyxl's own full reader, cut and typed as the importer takes cells."""
    sheet = load_workbook(io.BytesIO(content), data_only=True).worksheets[0]
    rows = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = spreadsheets._cells(row)
        if cells:
            rows.append((number, cells))
    return rows


@pytest.mark.parametrize("make", [excel_like, openpyxl_written])
def test_the_reader_reads_every_cell_as_openpyxl_does(make):
    content = make()
    assert list(spreadsheets.read_rows(content, "members.xlsx")) == as_openpyxl_reads(content)


def test_an_excel_workbook_gives_its_values_in_their_columns():
    rows = dict(spreadsheets.read_rows(excel_like(), "members.xlsx"))
    assert rows[1] == ["姓名", "公民身份号码", "所在党组织", "入党日期", "转正日期", "人员类别"]
    assert rows[2] == ["张三", "360733199001011237", "B1", date(2010, 7, 1), date(2011, 7, 1), "正式党员", "", "2",
                       "True", "#N/A", "13912345678"]  # fmt: skip
    assert 3 not in rows and rows[4] == ["张三", "1.5"] and rows[5] == ["", "2.25", date(2015, 7, 1)]


def test_a_workbook_as_excel_writes_it_imports(branches):
    report = importing.check(excel_like(), "members.xlsx", user=None)
    # Row 2 is a whole member record; rows 4 and 5 lack what a member needs, each reported by its row.
    assert len(report.new) == 1 and report.new[0].name == "张三" and report.new[0].id_number == "360733199001011237"
    assert {p.row for p in report.problems} == {4, 5}
