"""Import of rewards and punishments (奖惩) and family members (家庭成员) through the Sheet machinery of positions
and talents: a template per kind, every problem by row and column before anything is written, all or only the valid
rows, only people in the importer's units, audited, re-import harmless; hostile files and formula cells refused."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape
from openpyxl import load_workbook

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import importing
from dangjian.services.registry.models import FamilyMember, ImportJob, ImportKind, ImportState, RewardPunishment
from tests.services import workbooks
from tests.services.conftest import valid_id
from tests.services.registry.test_hostile_files import REFUSED

pytestmark = pytest.mark.django_db
REWARD_HEADER = ["姓名", "公民身份号码", "奖惩类别", "奖惩名称", "奖惩日期", "批准机关", "奖惩原因"]
FAMILY_HEADER = ["姓名", "公民身份号码", "称谓", "家庭成员姓名", "出生日期", "政治面貌", "工作单位及职务"]
STRANGER = valid_id("36073319800101777")
TOMORROW = (date.today() + timedelta(days=2)).isoformat()


@pytest.fixture
def people(make_person, branches):
    return make_person("李四"), make_person("王五", branch=branches["b2"])


def reward(person, **overrides) -> list:
    values = {"姓名": person.name, "公民身份号码": person.id_number, "奖惩类别": "奖励", "奖惩名称": "优秀共产党员",
              "奖惩日期": "2021-06-30", "批准机关": "中共会昌县委", "奖惩原因": ""}  # fmt: skip
    values.update(overrides)
    return [values[h] for h in REWARD_HEADER]


def relative(person, **overrides) -> list:
    values = {"姓名": person.name, "公民身份号码": person.id_number, "称谓": "配偶", "家庭成员姓名": "李梅",
              "出生日期": "1991-03-08", "政治面貌": "群众", "工作单位及职务": "会昌县人民医院护士"}  # fmt: skip
    values.update(overrides)
    return [values[h] for h in FAMILY_HEADER]


def planted(rows: dict, header: list[str]) -> tuple[bytes, dict[int, str]]:
    problems = {n: v[1] for n, v in rows.items() if isinstance(v, tuple)}
    data = [v[0] if isinstance(v, tuple) else v for _n, v in sorted(rows.items())]
    return workbooks.workbook(data, header=header), problems


def rewards_file(people):
    li, _wang = people
    return planted({
        2: reward(li),
        3: reward(li, 奖惩类别="处分", 奖惩名称="党内警告", 奖惩日期="2019-03-01", 奖惩原因="违反工作纪律"),
        4: (reward(li, 奖惩类别="嘉奖令"), "奖惩类别"),
        5: (reward(li, 奖惩名称="先进个人", 奖惩日期="2021-02-30"), "奖惩日期"),
        6: (reward(li, 奖惩名称="先进个人", 奖惩日期=TOMORROW), "奖惩日期"),  # a decision dated in the future
        7: (reward(li), "奖惩名称"),  # the same reward of the same date as row 2
        8: (reward(li, 公民身份号码=STRANGER, 姓名=""), "公民身份号码"),
        9: (reward(li, 奖惩名称="先进个人", 姓名="赵六"), "姓名"),
        10: (reward(li, 奖惩名称=""), "奖惩名称"),
        11: (reward(li, 奖惩名称="长" * 201), "奖惩名称"),
        12: (reward(li, 奖惩名称="=HYPERLINK(\"http://x\")"), "奖惩名称"),
        13: (reward(li, 公民身份号码="360733198501011230"), "公民身份号码"),  # check character
    }, REWARD_HEADER)  # fmt: skip


def family_file(people):
    li, wang = people
    return planted({
        2: relative(li),
        3: relative(li, 称谓="儿子", 家庭成员姓名="李小明", 出生日期="2018-09-01", 政治面貌="", 工作单位及职务="学生"),
        4: relative(wang, 称谓="母亲", 家庭成员姓名="陈秀英", 出生日期=""),
        5: (relative(li, 称谓="邻居", 家庭成员姓名="张某"), "称谓"),
        6: (relative(li, 称谓="女儿", 家庭成员姓名="李小红", 出生日期=TOMORROW), "出生日期"),
        7: (relative(li), "家庭成员姓名"),  # the same relative as row 2
        8: (relative(li, 家庭成员姓名=""), "家庭成员姓名"),
        9: (relative(li, 称谓="父亲", 家庭成员姓名="李大", 出生日期="去年"), "出生日期"),
        10: (relative(li, 称谓="父亲", 家庭成员姓名="李大", 工作单位及职务="@SUM(1+1)"), "工作单位及职务"),
        11: (relative(li, 公民身份号码=STRANGER, 姓名="", 家庭成员姓名="某某"), "公民身份号码"),
    }, FAMILY_HEADER)  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "make", "model", "verb", "good"),
    [(ImportKind.REWARDS, rewards_file, RewardPunishment, "person.import_rewards", 2),
     (ImportKind.FAMILY, family_file, FamilyMember, "person.import_family", 3)],
)  # fmt: skip
def test_each_problem_is_reported_by_row_and_column_then_only_the_valid_rows_are_imported(
    people, kind, make, model, verb, good
):
    content, problems = make(people)
    report = importing.check(content, "f.xlsx", user=None, kind=kind)
    assert {(p.row, p.column) for p in report.problems} == set(problems.items())
    assert not model.objects.exists()
    with pytest.raises(ValidationError):
        importing.apply(report, actor=None, only_valid=False)
    assert not model.objects.exists()
    counts = importing.apply(report, actor=None, only_valid=True, source="f.xlsx")
    assert counts == {"created": good, "updated": 0, "unchanged": 0, "skipped": len(problems),
                      "rows": good + len(problems)}  # fmt: skip
    assert model.objects.count() == good
    assert AuditRecord.objects.get(verb=verb).after["created"] == good
    again = importing.check(content, "f.xlsx", user=None, kind=kind)
    assert (len(again.new), len(again.changed), again.unchanged) == (0, 0, good)


def test_rewards_are_stored_as_read_and_a_changed_row_updates_the_decision(people):
    li, _wang = people
    content, _problems = rewards_file(people)
    importing.apply(importing.check(content, "r.xlsx", user=None, kind="rewards"), actor=None, only_valid=True)
    warning = RewardPunishment.objects.get(person=li, kind="punishment")
    assert (warning.title, warning.date, warning.reason) == ("党内警告", date(2019, 3, 1), "违反工作纪律")
    changed = workbooks.workbook([reward(li, 批准机关="中共赣州市委", 奖惩原因="抗洪救灾")], header=REWARD_HEADER)
    report = importing.check(changed, "r.xlsx", user=None, kind="rewards")
    assert len(report.changed) == 1
    importing.apply(report, actor=None, only_valid=False)
    honour = RewardPunishment.objects.get(person=li, kind="reward")
    assert (honour.authority, honour.reason) == ("中共赣州市委", "抗洪救灾")
    assert RewardPunishment.objects.count() == 2


def test_family_members_are_stored_as_read(people):
    content, _problems = family_file(people)
    importing.apply(importing.check(content, "f.xlsx", user=None, kind="family"), actor=None, only_valid=True)
    assert sorted(FamilyMember.objects.values_list("person__name", "relation", "name", "birth_date")) == [
        ("李四", "child", "李小明", date(2018, 9, 1)), ("李四", "spouse", "李梅", date(1991, 3, 8)),
        ("王五", "mother", "陈秀英", None)]  # fmt: skip
    assert FamilyMember.objects.get(name="李梅").work == "会昌县人民医院护士"


def test_a_secretary_imports_rewards_and_family_only_of_people_in_their_branch(make_user, people):
    li, wang = people
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, li.branch))
    rows = workbooks.workbook([reward(li), reward(wang)], header=REWARD_HEADER)
    report = importing.check(rows, "r.xlsx", user=secretary, kind="rewards")
    assert [(p.row, p.column) for p in report.problems] == [(3, "公民身份号码")]
    rows = workbooks.workbook([relative(wang)], header=FAMILY_HEADER)
    report = importing.check(rows, "f.xlsx", user=secretary, kind="family")
    assert [(p.row, p.column) for p in report.problems] == [(2, "公民身份号码")]


@pytest.mark.parametrize("kind", [ImportKind.REWARDS, ImportKind.FAMILY])
@pytest.mark.parametrize("name", list(REFUSED))
def test_a_hostile_file_of_these_kinds_fails_the_job_with_its_reason_and_stores_nothing(
    staff_client, branches, immediate_tasks, django_capture_on_commit_callbacks, name, kind
):
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    upload = io.BytesIO(REFUSED[name][0]())
    upload.name = name
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/work/registry/import/", {"kind": kind, "file": upload})
    job = ImportJob.objects.get()
    assert (job.kind, job.state) == (kind, ImportState.FAILED) and job.error
    page = c.get(response["Location"])
    assert page.status_code == 200 and escape(job.error) in page.content.decode()
    assert not RewardPunishment.objects.exists() and not FamilyMember.objects.exists()


def test_a_file_without_the_required_columns_is_refused_as_a_whole(people):
    content = workbooks.workbook([["李四", people[0].id_number, "配偶"]], header=["姓名", "公民身份号码", "称谓"])
    with pytest.raises(importing.ImportFileError, match="家庭成员姓名"):
        importing.check(content, "f.xlsx", user=None, kind="family")


def test_the_pages_import_family_members_and_the_person_page_shows_them_escaped(
    staff_client, people, branches, immediate_tasks, django_capture_on_commit_callbacks
):
    li, _wang = people
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    page = c.get("/work/registry/import/").content.decode()
    assert "template.xlsx?kind=rewards" in page and "template.xlsx?kind=family" in page
    upload = io.BytesIO(workbooks.workbook([relative(li, 家庭成员姓名="<script>x</script>")], header=FAMILY_HEADER))
    upload.name = "family.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/work/registry/import/", {"kind": "family", "file": upload})
    job = ImportJob.objects.get()
    assert job.state == ImportState.CHECKED and not job.problems
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/work/registry/import/{job.pk}/apply/")
    job.refresh_from_db()
    assert job.state == ImportState.DONE and job.counts["created"] == 1
    detail = c.get(f"/work/registry/{li.pk}/").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in detail and "<script>x</script>" not in detail


@pytest.mark.parametrize(("kind", "header"), [("rewards", REWARD_HEADER), ("family", FAMILY_HEADER)])
def test_each_kind_has_a_template_with_its_chinese_headers(staff_client, people, branches, kind,
                                                                             header):  # fmt: skip
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    response = c.get("/work/registry/import/template.xlsx", {"kind": kind})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == header and len(rows) == 2
