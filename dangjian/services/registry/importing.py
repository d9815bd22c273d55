"""Spreadsheet import and export of the registry (members, cadres, talents as people).

Import reads .xlsx (Excel, WPS and LibreOffice write it) or .csv (UTF-8 with or without BOM, else GB18030, what
Excel on a Chinese Windows saves). `check()` reports every problem by row, column and reason before anything is
written; `apply()` then writes in one transaction either everything (refused if any row has a problem) or only
the valid rows. Rows are keyed by ID number: a row equal to the record changes nothing, so re-importing a file
is harmless; a changed row updates the record; an ID number registered at another branch is a problem (members
move between branches only by a transfer letter).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from dangjian.core import audit
from dangjian.core.models import Unit, User
from dangjian.core.permissions import scope_for
from dangjian.services.dues.rules import Category
from dangjian.services.registry import crypto
from dangjian.services.registry.access import EDIT_KINDS, EXPORT_PERSONAL_KINDS
from dangjian.services.registry.actions import PLAIN_FIELDS, PersonData, _apply
from dangjian.services.registry.choices import ETHNICITY_LOOKUP, Degree, Gender, Stage, Status
from dangjian.services.registry.models import Person, Tag
from dangjian.stats.export import text

#: (key, header in the template, translated header). Files may use either header or the key.
COLUMNS = (
    ("name", "姓名", gettext_lazy("Name")),
    ("id_number", "公民身份号码", gettext_lazy("ID number")),
    ("gender", "性别", gettext_lazy("Gender")),
    ("ethnicity", "民族", gettext_lazy("Ethnic group")),
    ("birth_date", "出生日期", gettext_lazy("Date of birth")),
    ("phone", "手机号码", gettext_lazy("Mobile phone")),
    ("branch", "所在党组织", gettext_lazy("Party branch or unit")),
    ("stage", "人员类别", gettext_lazy("Development stage")),
    ("joined_date", "入党日期", gettext_lazy("Joined the party")),
    ("full_member_date", "转正日期", gettext_lazy("Became full member")),
    ("status", "党籍状态", gettext_lazy("Status")),
    ("category", "党费类别", gettext_lazy("Dues category")),
    ("degree", "学历", gettext_lazy("Education")),
    ("school", "毕业院校", gettext_lazy("School")),
    ("major", "专业", gettext_lazy("Major")),
    ("native_place", "籍贯", gettext_lazy("Native place")),
    ("address", "家庭住址", gettext_lazy("Address")),
    ("work_unit", "工作单位及职务", gettext_lazy("Work unit and post")),
    ("tags", "标签", gettext_lazy("Tags")),
)
REQUIRED = ("name", "id_number", "branch")
DATE_COLUMNS = ("birth_date", "joined_date", "full_member_date")
#: What Chinese spreadsheets say for the coded values (besides the code itself).
ALIASES: dict[str, dict[str, str]] = {
    "gender": {"男": Gender.MALE, "女": Gender.FEMALE},
    "stage": {"正式党员": Stage.FULL, "预备党员": Stage.PROBATIONARY, "发展对象": Stage.CANDIDATE,
              "入党积极分子": Stage.ACTIVIST, "积极分子": Stage.ACTIVIST, "入党申请人": Stage.APPLICANT,
              "申请人": Stage.APPLICANT, "群众": Stage.NONE, "非党员": Stage.NONE},
    "status": {"正常": Status.NORMAL, "失联": Status.LOST_CONTACT, "转出": Status.TRANSFERRED_OUT,
               "停止党籍": Status.SUSPENDED, "出党": Status.LEFT, "死亡": Status.DECEASED, "去世": Status.DECEASED},
    "category": {"在职": Category.EMPLOYED, "在职党员": Category.EMPLOYED, "离退休": Category.RETIRED,
                 "退休": Category.RETIRED, "农民": Category.FARMER, "学生": Category.STUDENT,
                 "下岗失业": Category.UNEMPLOYED, "失业": Category.UNEMPLOYED, "低保": Category.RELIEF},
    "degree": {"小学": Degree.PRIMARY, "初中": Degree.JUNIOR, "高中": Degree.SENIOR, "中专": Degree.VOCATIONAL,
               "中职": Degree.VOCATIONAL, "大专": Degree.COLLEGE, "本科": Degree.BACHELOR,
               "大学本科": Degree.BACHELOR, "硕士": Degree.MASTER, "研究生": Degree.MASTER, "博士": Degree.DOCTOR},
}  # fmt: skip
CHOICES = {"gender": Gender, "stage": Stage, "status": Status, "category": Category, "degree": Degree}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m", "%Y.%m", "%Y/%m")
MAX_ROWS = 200_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, header)."""


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str


@dataclass
class Report:
    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    new: list[PersonData] = field(default_factory=list)
    changed: list[tuple[int, PersonData]] = field(default_factory=list)  # (person pk, data)
    unchanged: int = 0

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})


# --- reading ----------------------------------------------------------------------------------------------


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


def read_rows(content: bytes, filename: str) -> Iterator[tuple[int, list]]:
    """(row number as the spreadsheet shows it, cells) of every row, the header first."""
    if filename.lower().endswith(".csv"):
        try:
            decoded = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            decoded = content.decode("gb18030", errors="replace")
        for number, row in enumerate(csv.reader(io.StringIO(decoded)), start=1):
            yield number, [_cell(c) for c in row]
        return
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(_("The file is not an Excel workbook (.xlsx) or a CSV file.")) from exc
    sheet = book.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [_cell(c) for c in row]
    book.close()


def _header_map(header: list) -> dict[int, str]:
    names = {}
    for key, zh, label in COLUMNS:
        names.update({key: key, zh: key, str(label): key})
    mapping = {}
    for index, title in enumerate(header):
        key = names.get(re.sub(r"\s+", "", str(title)))
        if key:
            mapping[index] = key
    missing = [zh for key, zh, _label in COLUMNS if key in REQUIRED and key not in mapping.values()]
    if missing:
        raise ImportFileError(_("The header row lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)})
    return mapping


# --- checking ---------------------------------------------------------------------------------------------


def parse_date(value) -> date:
    if isinstance(value, date):
        return value
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s” is not a date (e.g. 2015-07-01).") % {"value": value})


def choice_lookup() -> dict[str, dict[str, str]]:
    """Per coded column: what a cell may say (the code, the label in the active language, a Chinese alias)."""
    return {
        column: {**{str(label): v for v, label in choices.choices}, **ALIASES[column], **{v: v for v in choices.values}}
        for column, choices in CHOICES.items()
    }


def _choice(lookup: dict[str, dict[str, str]], column: str, value: str) -> str:
    found = lookup[column].get(value)
    if found is None:
        raise ValidationError(_("“%(value)s” is not a known value.") % {"value": value})
    return found


class Lookups:
    """What cells refer to: branches by code or exact name (among the units the user may edit), coded values."""

    def __init__(self, user: User | None):
        units = Unit.objects.filter(is_active=True)
        if user is not None:
            units = scope_for(user).filter(units, unit_field="", kinds=EDIT_KINDS)
        self.by_code, self.by_name = {}, {}
        self.choices = choice_lookup()
        for unit in units:
            self.by_code[unit.code] = unit
            self.by_name.setdefault(unit.name, []).append(unit)

    def find_branch(self, value: str) -> Unit:
        unit = self.by_code.get(value)
        if unit is None and len(self.by_name.get(value, [])) == 1:
            unit = self.by_name[value][0]
        if unit is None:
            raise ValidationError(
                _("Unknown party organisation “%(value)s”, or not one you may edit.") % {"value": value}
            )
        return unit


def _row_data(values: dict[str, object], lookups: Lookups) -> tuple[PersonData | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    kwargs: dict[str, object] = {}
    for key in REQUIRED:
        if not values.get(key):
            errors.append((key, _("This column is required.")))
    for key, value in values.items():
        if value == "" or key in ("name", "branch", "tags"):
            continue
        try:
            if key in DATE_COLUMNS:
                kwargs[key] = parse_date(value)
            elif key in CHOICES:
                kwargs[key] = _choice(lookups.choices, key, str(value))
            elif key == "ethnicity":
                code = ETHNICITY_LOOKUP.get(str(value))
                if code is None:
                    raise ValidationError(_("“%(value)s” is not one of the 56 ethnic groups.") % {"value": value})
                kwargs[key] = code
            else:
                kwargs[key] = str(value)
        except ValidationError as exc:
            errors.append((key, " ".join(exc.messages)))
    branch = None
    if values.get("branch"):
        try:
            branch = lookups.find_branch(str(values["branch"]))
        except ValidationError as exc:
            errors.append(("branch", " ".join(exc.messages)))
    if branch is None or errors:
        return None, errors
    tags = [t for t in re.split(r"[,，、;；]", str(values.get("tags") or "")) if t.strip()]
    data = PersonData(name=str(values["name"]), branch=branch, tags=tags, **kwargs)
    try:
        return data.clean(), []
    except ValidationError as exc:
        return None, [(key, " ".join(msgs)) for key, msgs in exc.message_dict.items()]


def _comparable(person: Person) -> tuple:
    return (*(getattr(person, n) for n in PLAIN_FIELDS), person.branch_id, person.phone)


def _data_comparable(data: PersonData) -> tuple:
    return (*(getattr(data, n) for n in PLAIN_FIELDS), data.branch.pk, data.phone)


def check(content: bytes, filename: str, *, user: User | None, progress=None) -> Report:
    """Read and check every row; nothing is written. `progress(done)` is called every 1000 rows."""
    rows = read_rows(content, filename)
    try:
        _number, header = next(rows)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    mapping = _header_map(header)
    label = {key: zh for key, zh, _label in COLUMNS}
    lookups = Lookups(user)
    report = Report()
    parsed: list[tuple[int, PersonData]] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        values = {key: cells[i] if i < len(cells) else "" for i, key in mapping.items()}
        if not any(v != "" for v in values.values()):
            continue
        report.total += 1
        if report.total > MAX_ROWS:
            raise ImportFileError(_("A file may hold at most %(n)s rows; split it.") % {"n": MAX_ROWS})
        data, errors = _row_data(values, lookups)
        if data is not None:
            if data.id_number in seen:
                errors = [("id_number", _("The same ID number is in row %(row)s.") % {"row": seen[data.id_number]})]
            else:
                seen[data.id_number] = number
                parsed.append((number, data))
        report.problems.extend(Problem(number, label.get(col, col), reason) for col, reason in errors)
        if progress and report.total % 1000 == 0:
            progress(report.total)
    _match_existing(parsed, report, label)
    return report


def _match_existing(parsed: list[tuple[int, PersonData]], report: Report, label: dict[str, str]) -> None:
    index = {crypto.blind_index("id", data.id_number): (number, data) for number, data in parsed}
    existing: dict[str, Person] = {}
    keys = list(index)
    for start in range(0, len(keys), 2000):
        for person in Person.objects.filter(id_index__in=keys[start : start + 2000]):
            existing[person.id_index] = person
    for key, (number, data) in index.items():
        person = existing.get(key)
        if person is None:
            report.new.append(data)
        elif person.branch_id != data.branch.pk:
            report.problems.append(
                Problem(number, label["id_number"],
                        _("This ID number is registered at another branch; members move by a transfer letter."))
            )  # fmt: skip
        elif _comparable(person) == _data_comparable(data):
            report.unchanged += 1
        else:
            report.changed.append((person.pk, data))


# --- writing ----------------------------------------------------------------------------------------------


def _tag(rows: list[tuple[Person, PersonData]]) -> None:
    names = sorted({t for _p, d in rows for t in d.tags})
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    tags = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    through = Person.tags.through
    through.objects.bulk_create(
        [through(person_id=p.pk, tag_id=tags[t]) for p, d in rows for t in d.tags], ignore_conflicts=True
    )


@transaction.atomic
def apply(report: Report, *, actor: User | None, only_valid: bool, source: str = "") -> dict[str, int]:
    """Write the checked rows in one transaction. Without `only_valid`, any problem refuses the whole file."""
    if report.problems and not only_valid:
        raise ValidationError(
            _("%(n)s rows have problems: fix the file, or choose to import only the valid rows.")
            % {"n": report.bad_rows}
        )
    created: list[tuple[Person, PersonData]] = []
    for data in report.new:
        person = Person()
        _apply(person, data)
        created.append((person, data))
    Person.objects.bulk_create([p for p, _d in created], batch_size=2000)
    changed = []
    existing = Person.objects.in_bulk([pk for pk, _d in report.changed])
    for pk, data in report.changed:
        person = existing[pk]
        _apply(person, replace(data))
        changed.append((person, data))
    update_fields = [*PLAIN_FIELDS, "id_number", "id_index", "phone", "phone_index", "name_pinyin",
                     "name_initials", "updated_at"]  # fmt: skip
    Person.objects.bulk_update([p for p, _d in changed], update_fields, batch_size=2000)
    _tag(created + changed)
    counts = {"created": len(created), "updated": len(changed), "unchanged": report.unchanged,
              "skipped": report.bad_rows, "rows": report.total}  # fmt: skip
    audit.record(actor=actor, verb="person.import", after={**counts, "file": source})
    return counts


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- template and export ----------------------------------------------------------------------------------


EXAMPLE_ROW = ["张三", "360733199001011237", "男", "汉族", "1990-01-01", "13812345678", "B1", "正式党员",
               "2015-07-01", "2016-07-01", "正常", "农民", "高中", "", "", "江西会昌", "", "", "种养大户"]  # fmt: skip


def template_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "人员信息"
    sheet.append([zh for _key, zh, _label in COLUMNS])
    sheet.append(EXAMPLE_ROW)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXPORT_FIELDS = tuple(key for key, _zh, _label in COLUMNS)


def export_rows(people, fields: list[str], *, unmasked: bool) -> Iterator[list]:
    """Header then one row per person, identifiers masked unless `unmasked`."""
    label = {key: str(lbl) for key, _zh, lbl in COLUMNS}
    yield [label[f] for f in fields]
    for person in people.iterator(chunk_size=2000):
        row = []
        for f in fields:
            if f == "id_number":
                value = person.id_number if unmasked else person.id_number_masked
            elif f == "phone":
                value = person.phone if unmasked else person.phone_masked
            elif f == "branch":
                value = person.branch.name
            elif f == "tags":
                value = "、".join(t.name for t in person.tags.all())
            elif f in CHOICES or f == "ethnicity":
                value = str(getattr(person, f"get_{f}_display")())
            else:
                value = getattr(person, f)
            row.append(
                value.isoformat() if isinstance(value, date) else text(value) if isinstance(value, str) else value
            )
        yield row


def may_export_unmasked(user) -> bool:
    return scope_for(user).has_kind(*EXPORT_PERSONAL_KINDS)


def stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")
