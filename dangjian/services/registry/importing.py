"""Spreadsheet import and export of the registry: people (the member record) and the record tabs (cadres'
positions, talents, rewards and punishments, family members).

Import reads .xlsx (Excel, WPS and LibreOffice write it) or .csv (see spreadsheets.py, which also keeps hostile
files in bounds). One `Sheet` per kind of import names its columns and how a row becomes data, meets the registry
and is written; `check()` and `apply()` serve every kind alike. `check()` reports every problem by row, column and
reason before anything is written; `apply()` then writes in one transaction either everything (refused if any row
has a problem) or only the valid rows, and a conflict with the database on the way stores nothing. Rows are keyed
by ID number (a record tab's entry also by what names it: a post and its start, a talent category, a decision's kind,
title and date, a relative's relation and name): a row equal to the record changes nothing, so re-importing a file
is harmless; a changed row updates the record; an ID number registered at another branch is a problem (members move
between branches only by a transfer letter). Record tabs belong to people already in the registry, in the units the
importing user may edit.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook

from dangjian.core import audit
from dangjian.core.models import Unit, UnitKind, User
from dangjian.core.permissions import scope_for
from dangjian.services.dues.rules import Category
from dangjian.services.registry import crypto
from dangjian.services.registry.access import EDIT_KINDS, EXPORT_PERSONAL_KINDS, SENSITIVE_KINDS
from dangjian.services.registry.actions import PLAIN_FIELDS, PersonData, _apply
from dangjian.services.registry.bulk import insert_people
from dangjian.services.registry.choices import (
    ETHNICITY_LOOKUP,
    Degree,
    Gender,
    Rank,
    Relation,
    Stage,
    Status,
    TalentCategory,
)
from dangjian.services.registry.identity import parse_id_number
from dangjian.services.registry.models import (
    FamilyMember,
    ImportKind,
    Person,
    PersonPart,
    Position,
    RewardKind,
    RewardPunishment,
    Tag,
    Talent,
)
from dangjian.services.registry.spreadsheets import ImportFileError, read_rows
from dangjian.stats.export import text

logger = logging.getLogger(__name__)

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
POSITION_COLUMNS = (
    ("name", "姓名", gettext_lazy("Name")),
    ("id_number", "公民身份号码", gettext_lazy("ID number")),
    ("title", "职务", gettext_lazy("Post")),
    ("unit", "任职单位", gettext_lazy("Unit")),
    ("organisation", "县外单位", gettext_lazy("Organisation outside the county")),
    ("rank", "职级", gettext_lazy("Rank")),
    ("start", "任职时间", gettext_lazy("From")),
    ("end", "免职时间", gettext_lazy("Until")),
    ("term_years", "任期年限", gettext_lazy("Term in years")),
)
TALENT_COLUMNS = (
    ("name", "姓名", gettext_lazy("Name")),
    ("id_number", "公民身份号码", gettext_lazy("ID number")),
    ("category", "人才类别", gettext_lazy("Talent category")),
    ("title", "专业技术职称", gettext_lazy("Professional title")),
    ("skills", "专长", gettext_lazy("Skills")),
)
REWARD_COLUMNS = (
    ("name", "姓名", gettext_lazy("Name")),
    ("id_number", "公民身份号码", gettext_lazy("ID number")),
    ("kind", "奖惩类别", gettext_lazy("Reward or punishment")),
    ("title", "奖惩名称", gettext_lazy("Title")),
    ("date", "奖惩日期", gettext_lazy("Date")),
    ("authority", "批准机关", gettext_lazy("Decided by")),
    ("reason", "奖惩原因", gettext_lazy("Reason")),
)
FAMILY_COLUMNS = (
    ("name", "姓名", gettext_lazy("Name")),
    ("id_number", "公民身份号码", gettext_lazy("ID number")),
    ("relation", "称谓", gettext_lazy("Relation")),
    ("relative", "家庭成员姓名", gettext_lazy("Family member's name")),
    ("birth_date", "出生日期", gettext_lazy("Date of birth")),
    ("political_status", "政治面貌", gettext_lazy("Political status")),
    ("work", "工作单位及职务", gettext_lazy("Work unit and post")),
)
#: What Chinese spreadsheets say for the coded values (besides the code itself and its label).
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
RANK_ALIASES = {"科员": Rank.STAFF, "办事员": Rank.STAFF, "副科级": Rank.DEPUTY_SECTION, "副科": Rank.DEPUTY_SECTION,
                "正科级": Rank.SECTION, "正科": Rank.SECTION, "科级": Rank.SECTION, "副处级": Rank.DEPUTY_DIVISION,
                "副处": Rank.DEPUTY_DIVISION, "正处级": Rank.DIVISION, "正处": Rank.DIVISION, "处级": Rank.DIVISION,
                "无": Rank.NONE}  # fmt: skip
TALENT_ALIASES = {"党政人才": TalentCategory.PARTY_GOVERNMENT, "企业经营管理人才": TalentCategory.ENTERPRISE,
                  "专业技术人才": TalentCategory.PROFESSIONAL, "高技能人才": TalentCategory.SKILLED,
                  "农村实用人才": TalentCategory.RURAL, "社会工作人才": TalentCategory.SOCIAL_WORK}  # fmt: skip
REWARD_ALIASES = {"奖励": RewardKind.REWARD, "表彰": RewardKind.REWARD, "奖": RewardKind.REWARD,
                  "惩处": RewardKind.PUNISHMENT, "处分": RewardKind.PUNISHMENT, "惩戒": RewardKind.PUNISHMENT,
                  "惩": RewardKind.PUNISHMENT}  # fmt: skip
RELATION_ALIASES = {"配偶": Relation.SPOUSE, "妻子": Relation.SPOUSE, "丈夫": Relation.SPOUSE, "妻": Relation.SPOUSE,
                    "夫": Relation.SPOUSE, "子女": Relation.CHILD, "儿子": Relation.CHILD, "女儿": Relation.CHILD,
                    "长子": Relation.CHILD, "次子": Relation.CHILD, "长女": Relation.CHILD, "次女": Relation.CHILD,
                    "父亲": Relation.FATHER, "母亲": Relation.MOTHER, "兄弟姐妹": Relation.SIBLING,
                    "哥哥": Relation.SIBLING, "弟弟": Relation.SIBLING, "姐姐": Relation.SIBLING,
                    "妹妹": Relation.SIBLING, "其他": Relation.OTHER}  # fmt: skip
CHOICES = {"gender": Gender, "stage": Stage, "status": Status, "category": Category, "degree": Degree}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m", "%Y.%m", "%Y/%m")
MAX_ROWS = 200_000
BATCH = 2000
#: People built and inserted at a time: the rows of one statement, not a Person object for every row of the file.
INSERT_BATCH = 5000
#: A text cell a spreadsheet would run as a formula (OWASP "CSV injection"); signed numbers and phones may pass.
FORMULA = re.compile(r"[=@]|[+-](?![\d\s().-]*$)")


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str


@dataclass
class Report:
    kind: str = ImportKind.PEOPLE
    columns: frozenset[str] = frozenset()  # the keys of the columns the file has
    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    new: list = field(default_factory=list)  # PersonData, or unsaved positions or talents
    changed: list[tuple[int, Any]] = field(default_factory=list)  # (pk of the stored row, data)
    unchanged: int = 0

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})


# --- checking ---------------------------------------------------------------------------------------------


def parse_date(value) -> date:
    if isinstance(value, date):
        return value
    if len(value) == 10 and value[4] == value[7] == "-":  # 2015-07-01, most cells: without strptime's machinery
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s” is not a date (e.g. 2015-07-01).") % {"value": value})


def _lookup(choices: type[models.TextChoices], aliases: dict[str, str]) -> dict[str, str]:
    """What a cell may say for a coded value: the code, the label in the active language, a Chinese alias."""
    return {**{str(label): v for v, label in choices.choices}, **aliases, **{v: v for v in choices.values}}


def choice_lookup() -> dict[str, dict[str, str]]:
    """Per coded column of the member record: what a cell may say."""
    return {column: _lookup(choices, ALIASES[column]) for column, choices in CHOICES.items()}


class Lookups:
    """What cells refer to: branches by code or exact name (among the units the user may edit); the units a post
    may be held in (any in the county); coded values."""

    def __init__(self, user: User | None):
        units = Unit.objects.filter(is_active=True)
        if user is not None:
            units = scope_for(user).filter(units, unit_field="", kinds=EDIT_KINDS)
        self.by_code, self.by_name = {}, {}
        self.choices = choice_lookup()
        for unit in units:
            self.by_code[unit.code] = unit
            self.by_name.setdefault(unit.name, []).append(unit)

    @cached_property
    def _county(self) -> tuple[dict[str, Unit], dict[str, list[Unit]]]:
        by_code: dict[str, Unit] = {}
        by_name: dict[str, list[Unit]] = {}
        for unit in Unit.objects.filter(is_active=True).exclude(kind=UnitKind.STATION):
            by_code[unit.code] = unit
            by_name.setdefault(unit.name, []).append(unit)
        return by_code, by_name

    @staticmethod
    def _find(value: str, by_code: dict[str, Unit], by_name: dict[str, list[Unit]]) -> Unit | None:
        unit = by_code.get(value)
        if unit is None and len(by_name.get(value, [])) == 1:
            unit = by_name[value][0]
        return unit

    def find_branch(self, value: str) -> Unit:
        unit = self._find(value, self.by_code, self.by_name)
        if unit is None:
            raise ValidationError(
                _("Unknown party organisation “%(value)s”, or not one you may edit.") % {"value": value}
            )
        return unit

    def find_unit(self, value: str) -> Unit:
        unit = self._find(value, *self._county)
        if unit is None:
            raise ValidationError(
                _("Unknown unit “%(value)s”: give its code or exact name, or fill in the organisation outside the "
                  "county instead.") % {"value": value}
            )  # fmt: skip
        return unit


def _people_in_scope(user: User | None):
    people = Person.objects.all()
    return people if user is None else scope_for(user).filter(people, kinds=EDIT_KINDS)


def _batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Sheet:
    """One kind of import: its columns, how a row's cells become data, how the data meets the registry and how it
    is written. Subclasses fill in the class attributes and `row_data`, `match`, `write`."""

    kind: ClassVar[str]
    title: ClassVar[str]  # the template's sheet name
    columns: ClassVar[tuple]
    required: ClassVar[tuple[str, ...]]
    dates: ClassVar[tuple[str, ...]] = ()
    example: ClassVar[list[str]]
    verb: ClassVar[str]

    def __init__(self, user: User | None):
        self.user = user
        self.label = {key: zh for key, zh, _label in self.columns}

    @cached_property
    def lookups(self) -> Lookups:
        return Lookups(self.user)

    @cached_property
    def today(self) -> date:
        """The day of the check, once for every row."""
        return timezone.localdate()

    def choice_maps(self) -> dict[str, dict[str, str]]:
        return {}

    @cached_property
    def _choices(self) -> dict[str, dict[str, str]]:
        return self.choice_maps()

    def header_map(self, header: list) -> dict[int, str]:
        names = {}
        for key, zh, label in self.columns:
            names.update({key: key, zh: key, str(label): key})
        mapping = {}
        for index, title in enumerate(header):
            key = names.get(re.sub(r"\s+", "", str(title)))
            if key:
                mapping[index] = key
        missing = [zh for key, zh, _label in self.columns if key in self.required and key not in mapping.values()]
        if missing:
            raise ImportFileError(_("The header row lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)})
        return mapping

    def convert(self, key: str, value) -> Any:
        """A cell as the typed value of its column; raises ValidationError with the reason."""
        if key in self.dates:
            return parse_date(value)
        if key in self._choices:
            found = self._choices[key].get(str(value))
            if found is None:
                raise ValidationError(_("“%(value)s” is not a known value.") % {"value": value})
            return found
        return str(value)

    def missing(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        return [(key, _("This column is required.")) for key in self.required if not values.get(key)]

    def row_data(self, values: dict[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
        raise NotImplementedError

    def file_key(self, data) -> Hashable:
        """Rows of one file with the same key are duplicates."""
        raise NotImplementedError

    def duplicate(self, row: int) -> tuple[str, str]:
        return "id_number", _("The same ID number is in row %(row)s.") % {"row": row}

    def match(self, parsed: list[tuple[int, Any]], report: Report) -> None:
        raise NotImplementedError

    def write(self, report: Report) -> tuple[int, int]:
        """(created, updated)."""
        raise NotImplementedError

    def template(self) -> bytes:
        book = Workbook()
        sheet = book.active
        sheet.title = self.title
        sheet.append([zh for _key, zh, _label in self.columns])
        sheet.append(self.example)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


class PeopleSheet(Sheet):
    """The member record, one row per person."""

    kind = ImportKind.PEOPLE
    title = "人员信息"
    columns = COLUMNS
    required = ("name", "id_number", "branch")
    dates = ("birth_date", "joined_date", "full_member_date")
    example = ["张三", "360733199001011237", "男", "汉族", "1990-01-01", "13812345678", "B1", "正式党员",
               "2015-07-01", "2016-07-01", "正常", "农民", "高中", "", "", "江西会昌", "", "", "种养大户"]  # fmt: skip
    verb = "person.import"

    def choice_maps(self) -> dict[str, dict[str, str]]:
        return self.lookups.choices

    def convert(self, key: str, value) -> Any:
        if key == "ethnicity":
            code = ETHNICITY_LOOKUP.get(str(value))
            if code is None:
                raise ValidationError(_("“%(value)s” is not one of the 56 ethnic groups.") % {"value": value})
            return code
        return super().convert(key, value)

    def row_data(self, values: dict[str, Any]) -> tuple[PersonData | None, list[tuple[str, str]]]:
        errors = self.missing(values)
        kwargs: dict[str, object] = {}
        for key, value in values.items():
            if value == "" or key in ("name", "branch", "tags"):
                continue
            try:
                kwargs[key] = self.convert(key, value)
            except ValidationError as exc:
                errors.append((key, " ".join(exc.messages)))
        branch = None
        if values.get("branch"):
            try:
                branch = self.lookups.find_branch(str(values["branch"]))
            except ValidationError as exc:
                errors.append(("branch", " ".join(exc.messages)))
        if branch is None or errors:
            return None, errors
        tags = [t for t in re.split(r"[,，、;；]", str(values.get("tags") or "")) if t.strip()]
        data = PersonData(name=str(values["name"]), branch=branch, tags=tags, **kwargs)  # type: ignore[arg-type]
        try:
            return data.clean(today=self.today), []
        except ValidationError as exc:
            return None, [(key, " ".join(msgs)) for key, msgs in exc.message_dict.items()]

    def file_key(self, data: PersonData) -> Hashable:
        return data.id_number

    @staticmethod
    def _comparable(person: Person, tags: bool) -> tuple:
        names = tuple(sorted(t.name for t in person.tags.all())) if tags else ()
        return (*(getattr(person, n) for n in PLAIN_FIELDS), person.branch_id, person.phone, names)

    @staticmethod
    def _data_comparable(data: PersonData, tags: bool) -> tuple:
        return (*(getattr(data, n) for n in PLAIN_FIELDS), data.branch.pk, data.phone, tuple(data.tags) if tags else ())

    def match(self, parsed: list[tuple[int, PersonData]], report: Report) -> None:
        tags = "tags" in report.columns
        index = {crypto.blind_index("id", data.id_number): (number, data) for number, data in parsed}
        existing: dict[str, Person] = {}
        people = Person.objects.prefetch_related("tags") if tags else Person.objects.all()
        for keys in _batches(list(index)):
            for person in people.with_id_index(*keys):
                existing[person.id_index] = person
        for key, (number, data) in index.items():
            person = existing.get(key)
            if person is None:
                report.new.append(data)
            elif person.branch_id != data.branch.pk:
                report.problems.append(
                    Problem(number, self.label["id_number"],
                            _("This ID number is registered at another branch; members move by a transfer letter."))
                )  # fmt: skip
            elif self._comparable(person, tags) == self._data_comparable(data, tags):
                report.unchanged += 1
            else:
                report.changed.append((person.pk, data))

    @staticmethod
    def _tag(rows: list[tuple[Person, PersonData]], replace_for: list[int]) -> None:
        """Give the rows their tags; the people in `replace_for` lose the tags their row does not name."""
        through = Person.tags.through
        for pks in _batches(replace_for):
            through.objects.filter(person_id__in=pks).delete()
        names = sorted({t for _p, d in rows for t in d.tags})
        if not names:
            return
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tags = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through.objects.bulk_create(
            [through(person_id=p.pk, tag_id=tags[t]) for p, d in rows for t in d.tags],
            ignore_conflicts=True, batch_size=BATCH,
        )  # fmt: skip

    def write(self, report: Report) -> tuple[int, int]:
        tagged_new: list[tuple[Person, PersonData]] = []
        for batch in _batches(report.new, INSERT_BATCH):
            people = []
            for data in batch:
                person = Person()
                _apply(person, data)
                people.append(person)
            insert_people(people)
            # The new rows' pks, for their tags.
            for tagged in _batches([(p, d) for p, d in zip(people, batch, strict=True) if d.tags]):
                keys = [p.id_index for p, _d in tagged]
                pks = dict(Person.objects.with_id_index(*keys).values_list("id_index", "pk"))
                for person, data in tagged:
                    person.pk = pks[person.id_index]
                    tagged_new.append((person, data))
        changed = []
        existing = Person.objects.in_bulk([pk for pk, _d in report.changed])
        for pk, data in report.changed:
            person = existing[pk]
            _apply(person, replace(data))
            changed.append((person, data))
        update_fields = [*PLAIN_FIELDS, "id_number", "id_index", "phone", "phone_index", "name_pinyin",
                         "name_initials", "updated_at"]  # fmt: skip
        Person.objects.bulk_update([p for p, _d in changed], update_fields, batch_size=BATCH)
        replace_for = [p.pk for p, _d in changed] if "tags" in report.columns else []
        self._tag(tagged_new + changed, replace_for)
        return len(report.new), len(changed)


@dataclass
class PartRow:
    """A row of a record tab's import: whose it is (ID number, and the name as a check) and the unsaved entry."""

    id_number: str
    name: str
    part: PersonPart


class PartSheet(Sheet):
    """A record tab of people already in the registry, one row per entry."""

    model: ClassVar[type[PersonPart]]
    key_fields: ClassVar[tuple[str, ...]]  # with the person, what identifies an entry
    fields: ClassVar[tuple[str, ...]]  # what a row sets
    #: The column of a field whose name the column cannot have ("name" is the person's name, as a check).
    column_of: ClassVar[dict[str, str]] = {}

    def _column(self, field_name: str) -> str:
        return self.column_of.get(field_name, field_name)

    def convert(self, key: str, value) -> Any:
        if key == "id_number":
            return parse_id_number(str(value)).number
        return super().convert(key, value)

    def row_data(self, values: dict[str, Any]) -> tuple[PartRow | None, list[tuple[str, str]]]:
        errors = self.missing(values)
        converted: dict[str, Any] = {}
        for key, value in values.items():
            if value == "" or key == "name":
                continue
            try:
                converted[key] = self.convert(key, value)
            except ValidationError as exc:
                errors.append((key, " ".join(exc.messages)))
        if errors:
            return None, errors
        meta = self.model._meta
        entry = {name: converted.get(self._column(name), meta.get_field(name).get_default()) for name in self.fields}
        part = self.model(**entry)
        try:
            part.full_clean(exclude=["person", "unit"])  # the unit came from the lookup
        except ValidationError as exc:
            return None, [
                (self._column(self.key_fields[0] if key == NON_FIELD_ERRORS else key), " ".join(msgs))
                for key, msgs in exc.message_dict.items()
            ]
        return PartRow(converted["id_number"], " ".join(str(values.get("name") or "").split()), part), []

    def file_key(self, data: PartRow) -> Hashable:
        return (data.id_number, *(getattr(data.part, f) for f in self.key_fields))

    def _attnames(self) -> list[str]:
        return [self.model._meta.get_field(f).attname for f in self.fields]

    def match(self, parsed: list[tuple[int, PartRow]], report: Report) -> None:
        indexes = {number: crypto.blind_index("id", row.id_number) for number, row in parsed}
        people: dict[str, Person] = {}
        scoped = _people_in_scope(self.user).only("pk", "name", "id_index", "branch")
        for keys in _batches(sorted(set(indexes.values()))):
            for person in scoped.with_id_index(*keys):
                people[person.id_index] = person
        existing: dict[tuple, PersonPart] = {}
        for pks in _batches([p.pk for p in people.values()]):
            for stored in self.model.objects.filter(person_id__in=pks):
                existing[(stored.person_id, *(getattr(stored, f) for f in self.key_fields))] = stored
        attnames = self._attnames()
        for number, row in parsed:
            person = people.get(indexes[number])
            if person is None:
                reason = _("No one with this ID number is in the units you may edit: import them as people first.")
                report.problems.append(Problem(number, self.label["id_number"], reason))
                continue
            if row.name and row.name != person.name:
                report.problems.append(Problem(
                    number, self.label["name"],
                    _("The name does not match the record of this ID number (%(name)s).") % {"name": person.name},
                ))  # fmt: skip
                continue
            row.part.person = person
            stored = existing.get((person.pk, *(getattr(row.part, f) for f in self.key_fields)))
            if stored is None:
                report.new.append(row.part)
            elif all(getattr(stored, a) == getattr(row.part, a) for a in attnames):
                report.unchanged += 1
            else:
                report.changed.append((stored.pk, row.part))

    def write(self, report: Report) -> tuple[int, int]:
        self.model.objects.bulk_create(report.new, batch_size=BATCH)
        stored = self.model.objects.in_bulk([pk for pk, _part in report.changed])
        attnames = self._attnames()
        changed = []
        for pk, part in report.changed:
            entry = stored[pk]
            for a in attnames:
                setattr(entry, a, getattr(part, a))
            changed.append(entry)
        self.model.objects.bulk_update(changed, list(self.fields), batch_size=BATCH)
        return len(report.new), len(changed)


class PositionSheet(PartSheet):
    """Cadres' posts (职务): unit or outside organisation, title, rank, from–until, term. Importing a post marks
    the person as a cadre; no 任免 record is made (those carry a document and are recorded one by one)."""

    kind = ImportKind.POSITIONS
    title = "干部职务"
    columns = POSITION_COLUMNS
    required = ("id_number", "title", "start")
    dates = ("start", "end")
    example = ["张三", "360733199001011237", "副镇长", "会昌县委组织部", "", "副科级", "2021-06-01", "", "5"]
    verb = "person.import_positions"
    model = Position
    key_fields = ("title", "start")
    fields = ("title", "unit", "organisation", "rank", "start", "end", "term_years")

    def choice_maps(self) -> dict[str, dict[str, str]]:
        return {"rank": _lookup(Rank, RANK_ALIASES)}

    def convert(self, key: str, value) -> Any:
        if key == "unit":
            return self.lookups.find_unit(str(value))
        if key == "term_years":
            try:
                return int(str(value))
            except ValueError:
                raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
        return super().convert(key, value)

    def duplicate(self, row: int) -> tuple[str, str]:
        return "title", _("The same post from the same date is in row %(row)s.") % {"row": row}

    def write(self, report: Report) -> tuple[int, int]:
        counts = super().write(report)
        people = sorted({p.person_id for p in report.new} | {p.person_id for _pk, p in report.changed})
        for pks in _batches(people):
            Person.objects.filter(pk__in=pks, is_cadre=False).update(is_cadre=True)
        return counts


class TalentSheet(PartSheet):
    """各类人才: one row per person and talent category, with professional title and skills."""

    kind = ImportKind.TALENTS
    title = "人才信息"
    columns = TALENT_COLUMNS
    required = ("id_number", "category")
    example = ["张三", "360733199001011237", "农村实用人才", "农艺师", "脐橙种植"]
    verb = "person.import_talents"
    model = Talent
    key_fields = ("category",)
    fields = ("category", "title", "skills")

    def choice_maps(self) -> dict[str, dict[str, str]]:
        return {"category": _lookup(TalentCategory, TALENT_ALIASES)}

    def duplicate(self, row: int) -> tuple[str, str]:
        return "category", _("The same talent category for this ID number is in row %(row)s.") % {"row": row}


class RewardSheet(PartSheet):
    """奖惩: one row per commendation or sanction, named by its kind, title and date."""

    kind = ImportKind.REWARDS
    title = "奖惩信息"
    columns = REWARD_COLUMNS
    required = ("id_number", "kind", "title", "date")
    dates = ("date",)
    example = ["张三", "360733199001011237", "奖励", "优秀共产党员", "2021-06-30", "中共会昌县委", ""]
    verb = "person.import_rewards"
    model = RewardPunishment
    key_fields = ("kind", "title", "date")
    fields = ("kind", "title", "date", "authority", "reason")

    def choice_maps(self) -> dict[str, dict[str, str]]:
        return {"kind": _lookup(RewardKind, REWARD_ALIASES)}

    def duplicate(self, row: int) -> tuple[str, str]:
        return "title", _("The same reward or punishment of the same date is in row %(row)s.") % {"row": row}


class FamilySheet(PartSheet):
    """家庭成员及主要社会关系: one row per relative, named by relation and name."""

    kind = ImportKind.FAMILY
    title = "家庭成员"
    columns = FAMILY_COLUMNS
    required = ("id_number", "relation", "relative")
    dates = ("birth_date",)
    example = ["张三", "360733199001011237", "配偶", "李梅", "1991-03-08", "群众", "会昌县人民医院护士"]
    verb = "person.import_family"
    model = FamilyMember
    key_fields = ("relation", "name")
    fields = ("relation", "name", "birth_date", "political_status", "work")
    column_of = {"name": "relative"}

    def choice_maps(self) -> dict[str, dict[str, str]]:
        return {"relation": _lookup(Relation, RELATION_ALIASES)}

    def duplicate(self, row: int) -> tuple[str, str]:
        return "relative", _("The same relative is in row %(row)s.") % {"row": row}


SHEETS: dict[str, type[Sheet]] = {
    s.kind: s for s in (PeopleSheet, PositionSheet, TalentSheet, RewardSheet, FamilySheet)
}


def _formula_errors(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (key, _("“%(value)s” would run as a spreadsheet formula: type the value itself.") % {"value": value[:40]})
        for key, value in values.items()
        if isinstance(value, str) and FORMULA.match(value)
    ]


def check(content: bytes, filename: str, *, user: User | None, progress=None, kind: str = ImportKind.PEOPLE) -> Report:
    """Read and check every row; nothing is written. `progress(done)` is called every 1000 rows."""
    sheet = SHEETS[kind](user)
    rows = read_rows(content, filename)
    try:
        _number, header = next(rows)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    mapping = sheet.header_map(header)
    report = Report(kind=kind, columns=frozenset(mapping.values()))
    parsed: list[tuple[int, Any]] = []
    seen: dict[Hashable, int] = {}
    for number, cells in rows:
        values = {key: cells[i] if i < len(cells) else "" for i, key in mapping.items()}
        if not any(v != "" for v in values.values()):
            continue
        report.total += 1
        if report.total > MAX_ROWS:
            raise ImportFileError(_("A file may hold at most %(n)s rows; split it.") % {"n": MAX_ROWS})
        errors = _formula_errors(values)
        formulas = {key for key, _reason in errors}
        data, row_errors = sheet.row_data({k: "" if k in formulas else v for k, v in values.items()})
        errors += [(key, reason) for key, reason in row_errors if key not in formulas]
        if data is not None and not formulas:
            key = sheet.file_key(data)
            if key in seen:
                errors.append(sheet.duplicate(seen[key]))
            else:
                seen[key] = number
                parsed.append((number, data))
        report.problems.extend(Problem(number, sheet.label.get(col, col), reason) for col, reason in errors)
        if progress and report.total % 1000 == 0:
            progress(report.total)
    sheet.match(parsed, report)
    return report


# --- writing ----------------------------------------------------------------------------------------------


def apply(report: Report, *, actor: User | None, only_valid: bool, source: str = "") -> dict[str, int]:
    """Write the checked rows in one transaction. Without `only_valid`, any problem refuses the whole file. A
    conflict with the database (someone stored the same person meanwhile, a value the database refuses) stores
    nothing and raises ValidationError."""
    if report.problems and not only_valid:
        raise ValidationError(
            _("%(n)s rows have problems: fix the file, or choose to import only the valid rows.")
            % {"n": report.bad_rows}
        )
    sheet = SHEETS[report.kind](actor)
    try:
        with transaction.atomic():
            created, updated = sheet.write(report)
            counts = {"created": created, "updated": updated, "unchanged": report.unchanged,
                      "skipped": report.bad_rows, "rows": report.total}  # fmt: skip
            audit.record(actor=actor, verb=sheet.verb, after={**counts, "file": source})
    except DatabaseError as exc:
        logger.warning("import of %s refused by the database: %s", source or report.kind, exc)
        raise ValidationError(
            _("The database refused a row (the registry changed since the check, or a value breaks one of its "
              "rules), so nothing was imported. Check the file again.")
        ) from exc  # fmt: skip
    return counts


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- template and export ----------------------------------------------------------------------------------


def template_xlsx(kind: str = ImportKind.PEOPLE) -> bytes:
    return SHEETS[kind](None).template()


#: Record tabs an export may add: one cell per person listing the entries, newest first.
PART_EXPORTS = (
    ("positions", gettext_lazy("Positions")),
    ("talents", gettext_lazy("Talent categories")),
    ("rewards", gettext_lazy("Rewards and punishments")),
    ("family", gettext_lazy("Family members")),
)


def export_columns(*, sensitive: bool) -> list[tuple[str, Any]]:
    """(key, label) of what an export may hold. As on the person's page, a role without a need to know
    (`sensitive`: none of `access.SENSITIVE_KINDS`) has no family column and a rewards column without punishments."""
    columns = [(key, label) for key, _zh, label in COLUMNS]
    for key, label in PART_EXPORTS:
        if key == "family" and not sensitive:
            continue
        columns.append((key, label if sensitive or key != "rewards" else gettext_lazy("Rewards")))
    return columns


def _joined(items: Iterator[str]) -> str:
    return pgettext("between the entries of one spreadsheet cell", "; ").join(items)


def _words(*parts) -> str:
    return " ".join(str(p.isoformat() if isinstance(p, date) else p) for p in parts if p)


def _position_words(post: Position) -> str:
    until = post.end.isoformat() if post.end else _("present")
    place = post.unit.name if post.unit else post.organisation
    return _words(f"{post.start.isoformat()}–{until}", place, post.title, post.get_rank_display() if post.rank else "")


def _part_cell(person: Person, key: str, sensitive: bool) -> str:
    if key == "positions":
        return _joined(_position_words(p) for p in person.positions.all())
    if key == "talents":
        return _joined(_words(t.get_category_display(), t.title, t.skills) for t in person.talents.all())
    if key == "rewards":
        return _joined(
            _words(r.date, r.get_kind_display(), r.title, r.authority, r.reason)
            for r in person.rewards.all() if sensitive or r.kind == RewardKind.REWARD
        )  # fmt: skip
    if not sensitive:  # family
        return ""
    return _joined(
        _words(f.get_relation_display(), f.name, f.birth_date, f.political_status, f.work) for f in person.family.all()
    )


def export_rows(people, fields: list[str], *, unmasked: bool, user: User) -> Iterator[list]:
    """Header then one row per person, identifiers masked unless `unmasked`; punishments and family members only
    of the people whose branch the user reaches with a need to know (the others' cells leave them out)."""
    scope = scope_for(user)
    label = {key: str(lbl) for key, lbl in export_columns(sensitive=scope.has_kind(*SENSITIVE_KINDS))}
    yield [label[f] for f in fields]
    related = {"tags": "tags", "positions": Prefetch("positions", Position.objects.select_related("unit")),
               "talents": "talents", "rewards": "rewards", "family": "family"}  # fmt: skip
    people = people.prefetch_related(*(related[f] for f in fields if f in related))
    parts = {key for key, _label in PART_EXPORTS}
    for person in people.iterator(chunk_size=2000):
        row = []
        for f in fields:
            if f in parts:
                value = _part_cell(person, f, scope.covers(person.branch, SENSITIVE_KINDS))
            elif f == "id_number":
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
