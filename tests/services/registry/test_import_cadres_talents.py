"""Import of cadres' positions and talents with the same machinery as people: a template per kind, every problem by
row and column, all or only the valid rows, scoped to the importer's units, audited, re-import harmless. Also the
member import's known weak spots: tags that change, tags too long for the database, and a conflict with the
database half-way, which must end the job as failed and store nothing."""

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import importing, tasks
from dangjian.services.registry.models import ImportJob, ImportKind, ImportState, Person, Position, Tag, Talent
from tests.services import workbooks
from tests.services.conftest import valid_id

pytestmark = pytest.mark.django_db
POSITION_HEADER = ["姓名", "公民身份号码", "职务", "任职单位", "县外单位", "职级", "任职时间", "免职时间", "任期年限"]
TALENT_HEADER = ["姓名", "公民身份号码", "人才类别", "专业技术职称", "专长"]
STRANGER = valid_id("36073319800101777")  # valid, but nobody in the registry


@pytest.fixture
def people(make_person, branches):
    return make_person("李四"), make_person("王五", branch=branches["b2"])


def position(person, **overrides) -> list:
    values = {"姓名": person.name, "公民身份号码": person.id_number, "职务": "副镇长", "任职单位": "D1",
              "县外单位": "", "职级": "副科级", "任职时间": "2021-06-01", "免职时间": "", "任期年限": 5}  # fmt: skip
    values.update(overrides)
    return [values[h] for h in POSITION_HEADER]


def positions_file(people) -> tuple[bytes, dict[int, str]]:
    li, _wang = people
    rows = {
        2: position(li),
        3: position(li, 职务="党委委员", 任职单位="", 县外单位="赣州某公司", 职级="", 任职时间="2019-01-01",
                    免职时间="2020-12-31", 任期年限=""),
        4: (position(li, 任职时间="2021-13-01"), "任职时间"),
        5: (position(li, 职务="镇长", 任职时间="2022-01-01", 免职时间="2021-01-01"), "免职时间"),
        6: (position(li, 职务="书记", 职级="厅级"), "职级"),
        7: (position(li, 职务="书记", 任职单位="不存在的单位"), "任职单位"),
        8: (position(li, 公民身份号码=STRANGER, 姓名=""), "公民身份号码"),
        9: (position(li, 职务="委员", 姓名="赵六"), "姓名"),
        10: (position(li), "职务"),  # the same post from the same date as row 2
        11: (position(li, 职务="委员", 公民身份号码="360733198501011230"), "公民身份号码"),  # check character
        12: (position(li, 职务="委员", 任期年限="五年"), "任期年限"),
        13: (position(li, 职务=""), "职务"),
        14: (position(li, 职务="=cmd|' /C calc'!A0"), "职务"),
    }  # fmt: skip
    planted = {n: v[1] for n, v in rows.items() if isinstance(v, tuple)}
    data = [v[0] if isinstance(v, tuple) else v for _n, v in sorted(rows.items())]
    return workbooks.workbook(data, header=POSITION_HEADER), planted


def test_positions_are_checked_by_row_and_column_then_imported_and_make_the_person_a_cadre(people, branches):
    content, planted = positions_file(people)
    report = importing.check(content, "posts.xlsx", user=None, kind=ImportKind.POSITIONS)
    assert {(p.row, p.column) for p in report.problems} == set(planted.items())
    assert not Position.objects.exists()
    with pytest.raises(ValidationError):
        importing.apply(report, actor=None, only_valid=False)
    assert not Position.objects.exists()
    counts = importing.apply(report, actor=None, only_valid=True, source="posts.xlsx")
    assert counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": len(planted), "rows": 13}
    li = Person.objects.get(name="李四")
    post = Position.objects.get(person=li, title="副镇长")
    assert (post.unit, post.rank, post.term_years, post.end) == (branches["d1"], "deputy_section", 5, None)
    assert Position.objects.get(person=li, title="党委委员").organisation == "赣州某公司"
    assert li.is_cadre
    assert AuditRecord.objects.get(verb="person.import_positions").after["created"] == 2


def test_reimporting_positions_changes_nothing_and_a_changed_row_updates_the_post(people):
    li, _wang = people
    content = workbooks.workbook([position(li)], header=POSITION_HEADER)
    importing.apply(importing.check(content, "a.xlsx", user=None, kind="positions"), actor=None, only_valid=False)
    again = importing.check(content, "a.xlsx", user=None, kind="positions")
    assert (len(again.new), len(again.changed), again.unchanged) == (0, 0, 1)
    changed = workbooks.workbook([position(li, 职级="正科级", 免职时间="2024-06-01")], header=POSITION_HEADER)
    report = importing.check(changed, "a.xlsx", user=None, kind="positions")
    assert len(report.changed) == 1
    importing.apply(report, actor=None, only_valid=False)
    post = Position.objects.get()
    assert (post.rank, post.end.isoformat()) == ("section", "2024-06-01")


def test_a_secretary_imports_positions_and_talents_only_of_people_in_their_branch(make_user, people):
    li, wang = people
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, li.branch))
    report = importing.check(workbooks.workbook([position(li), position(wang)], header=POSITION_HEADER),
                             "a.xlsx", user=secretary, kind="positions")  # fmt: skip
    assert [(p.row, p.column) for p in report.problems] == [(3, "公民身份号码")]
    talents = workbooks.workbook([[wang.name, wang.id_number, "农村实用人才", "", ""]], header=TALENT_HEADER)
    report = importing.check(talents, "t.xlsx", user=secretary, kind="talents")
    assert [(p.row, p.column) for p in report.problems] == [(2, "公民身份号码")]


def test_talents_are_read_by_chinese_name_label_or_code_and_reimporting_changes_nothing(people):
    li, wang = people
    rows = [
        [li.name, li.id_number, "农村实用人才", "农艺师", "脐橙种植"],
        [li.name, li.id_number, "skilled", "", "焊接"],
        [wang.name, wang.id_number, "专业技术人才", "中级工程师", ""],
        [wang.name, wang.id_number, "天才", "", ""],
        [wang.name, wang.id_number, "专业技术人才", "", ""],  # the same category again
    ]
    content = workbooks.workbook(rows, header=TALENT_HEADER)
    report = importing.check(content, "t.xlsx", user=None, kind=ImportKind.TALENTS)
    assert {(p.row, p.column) for p in report.problems} == {(5, "人才类别"), (6, "人才类别")}
    importing.apply(report, actor=None, only_valid=True)
    assert sorted(Talent.objects.values_list("person__name", "category")) == [
        ("李四", "rural"), ("李四", "skilled"), ("王五", "professional")]  # fmt: skip
    assert AuditRecord.objects.filter(verb="person.import_talents").count() == 1
    again = importing.check(content, "t.xlsx", user=None, kind=ImportKind.TALENTS)
    assert (len(again.new), len(again.changed), again.unchanged) == (0, 0, 3)
    retitled = workbooks.workbook([[li.name, li.id_number, "农村实用人才", "高级农艺师", "脐橙种植"]],
                                  header=TALENT_HEADER)  # fmt: skip
    importing.apply(importing.check(retitled, "t.xlsx", user=None, kind="talents"), actor=None, only_valid=False)
    assert Talent.objects.get(person=li, category="rural").title == "高级农艺师"


@pytest.mark.parametrize(("kind", "header"), [("people", workbooks.HEADER[:2]), ("positions", POSITION_HEADER),
                                              ("talents", TALENT_HEADER)])  # fmt: skip
def test_each_kind_has_a_template_with_its_chinese_headers(staff_client, branches, kind, header):
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    response = c.get("/work/registry/import/template.xlsx", {"kind": kind})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0][: len(header)]) == header and len(rows) == 2
    assert c.get("/work/registry/import/template.xlsx", {"kind": "nonsense"}).status_code == 404


def test_the_pages_import_positions_as_a_background_job(staff_client, people, branches, immediate_tasks,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    assert "template.xlsx?kind=positions" in c.get("/work/registry/import/").content.decode()
    content, planted = positions_file(people)
    upload = io.BytesIO(content)
    upload.name = "posts.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/work/registry/import/", {"kind": "positions", "file": upload})
    job = ImportJob.objects.get()
    assert job.kind == "positions" and job.state == ImportState.CHECKED and len(job.problems) == len(planted)
    assert "不存在的单位" in c.get(response["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/work/registry/import/{job.pk}/apply/", {"only_valid": "1"})
    job.refresh_from_db()
    assert job.state == ImportState.DONE and job.counts["created"] == 2 and Position.objects.count() == 2


# --- the member import's tags and a conflict half-way -----------------------------------------------------

TAGGED = [*workbooks.HEADER, "标签"]


def member(i: int, tags: str = "种养大户") -> list:
    return [*workbooks.person_row(i, "B1"), tags]


def test_tags_that_change_are_replaced_and_a_file_without_the_column_leaves_them(branches):
    importing.apply(importing.check(workbooks.workbook([member(1, "种养大户、退役军人")], TAGGED), "a.xlsx",
                                    user=None), actor=None, only_valid=False)  # fmt: skip
    report = importing.check(workbooks.workbook([member(1, "退役军人、致富带头人")], TAGGED), "a.xlsx", user=None)
    assert len(report.changed) == 1
    importing.apply(report, actor=None, only_valid=False)
    person = Person.objects.get()
    assert sorted(t.name for t in person.tags.all()) == ["致富带头人", "退役军人"]
    untagged = importing.check(workbooks.workbook([workbooks.person_row(1, "B1")]), "a.xlsx", user=None)
    assert untagged.unchanged == 1
    importing.apply(untagged, actor=None, only_valid=False)
    assert person.tags.count() == 2


def test_a_tag_too_long_for_the_database_is_a_problem_of_its_row(branches):
    report = importing.check(workbooks.workbook([member(1), member(2, "长" * 51)], TAGGED), "a.xlsx", user=None)
    assert [(p.row, p.column) for p in report.problems] == [(3, "标签")]
    importing.apply(report, actor=None, only_valid=True)
    assert not Tag.objects.filter(name="长" * 51).exists() and Person.objects.count() == 1


def test_a_conflict_with_the_database_half_way_fails_the_job_and_stores_nothing(make_user, make_person, branches,
                                                                                 monkeypatch):  # fmt: skip
    owner = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    content = workbooks.workbook([member(i, "新标签") for i in range(5)], TAGGED)
    job = ImportJob.objects.create(owner=owner, filename="a.xlsx", content=content, digest="x",
                                   state=ImportState.IMPORTING)  # fmt: skip
    checked = importing.check

    def check_then_someone_stores_row_4(*args, **kwargs):
        report = checked(*args, **kwargs)
        make_person("抢先", id_number=workbooks.id_number(2))  # between the check and the write
        return report

    monkeypatch.setattr(importing, "check", check_then_someone_stores_row_4)
    assert tasks.apply_import.call(job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and job.error
    assert list(Person.objects.values_list("name", flat=True)) == ["抢先"]
    assert not Tag.objects.filter(name="新标签").exists()
    assert not AuditRecord.objects.filter(verb="person.import").exists()


def test_an_unexpected_error_while_checking_fails_the_job_instead_of_leaving_it_checking(make_user, branches,
                                                                                          monkeypatch):  # fmt: skip
    owner = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    job = ImportJob.objects.create(owner=owner, filename="a.xlsx", content=b"", digest="x")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(importing, "read_rows", broken)
    assert tasks.check_import.call(job.pk) == ImportState.FAILED
    job.refresh_from_db()
    assert job.error and "boom" not in job.error


def test_the_rows_and_the_jobs_end_commit_together(make_user, branches, monkeypatch):
    """A failure after the rows are written but before the job says "done" (the worker killed there, or the save
    refused) leaves neither: no rows, and the job failed with its reason, never rows under a job still importing."""
    owner = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    content = workbooks.workbook([member(i) for i in range(3)], TAGGED)
    job = ImportJob.objects.create(owner=owner, filename="a.xlsx", content=content, digest="x",
                                   state=ImportState.IMPORTING)  # fmt: skip
    real_save = ImportJob.save

    def dies_when_marking_done(self, *args, **kwargs):
        if self.state == ImportState.DONE:
            raise RuntimeError("worker killed")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ImportJob, "save", dies_when_marking_done)
    assert tasks.apply_import.call(job.pk) == ImportState.FAILED
    assert not Person.objects.exists()
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
