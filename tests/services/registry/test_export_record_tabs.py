"""Positions, talents, rewards and family members in the registry export (xlsx streamed, CSV): one cell per person
listing the entries, with the need-to-know rule of the person's page: punishments and family members only for the
people whose branch the user reaches as org_admin or branch secretary; the others see commendations and no family
column. A large export of record tabs keeps a bounded number of queries."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import actions
from dangjian.services.registry.models import Person, Position, Talent

pytestmark = pytest.mark.django_db
PARTS = ["name", "positions", "talents", "rewards", "family"]


@pytest.fixture
def records(make_person, branches):
    """A cadre of 上坑村 with a record in every tab, and a member of 下塘村 with a punishment and a relative."""
    li = make_person("李四", is_cadre=True)
    actions.add_position(actor=None, person=li, title="副镇长", start=date(2021, 6, 1), unit=branches["d1"],
                         rank="deputy_section", term_years=5)  # fmt: skip
    actions.add_position(actor=None, person=li, title="党委委员", start=date(2019, 1, 1), end=date(2020, 12, 31),
                         organisation="赣州某公司")  # fmt: skip
    actions.add_talent(actor=None, person=li, category="rural", title="农艺师", skills="脐橙种植")
    actions.add_reward(actor=None, person=li, kind="reward", title="优秀共产党员", date=date(2021, 6, 30),
                       authority="中共会昌县委")  # fmt: skip
    actions.add_reward(actor=None, person=li, kind="punishment", title="党内警告", date=date(2019, 3, 1))
    actions.add_family_member(actor=None, person=li, relation="spouse", name="李梅", birth_date=date(1991, 3, 8))
    wang = make_person("王五", branch=branches["b2"])
    actions.add_reward(actor=None, person=wang, kind="punishment", title="严重警告", date=date(2020, 5, 1))
    actions.add_family_member(actor=None, person=wang, relation="mother", name="陈秀英")
    return li, wang


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_an_org_admin_exports_every_tab_of_every_person(staff_client, branches, records):
    org = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    rows = xlsx_rows(org.get("/work/registry/export/", {"fields": PARTS, "format": "xlsx"}))
    assert rows[0] == ("姓名", "职务", "人才类别", "奖惩情况", "家庭成员")
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["李四"][1:] == (
        "2021-06-01–至今 县委组织部 副镇长 副科级；2019-01-01–2020-12-31 赣州某公司 党委委员",
        "农村实用人才 农艺师 脐橙种植",
        "2021-06-30 奖励 优秀共产党员 中共会昌县委；2019-03-01 惩处 党内警告",
        "配偶 李梅 1991-03-08",
    )
    assert by_name["王五"][1:] == (None, None, "2020-05-01 惩处 严重警告", "母亲 陈秀英")
    assert AuditRecord.objects.get(verb="person.export").after["fields"] == PARTS


def test_a_role_without_a_need_to_know_gets_no_punishment_and_cannot_ask_for_family(staff_client, branches, records):
    leader = staff_client("leader", (RoleKind.COUNTY_LEADER, branches["county"]))
    refused = leader.get("/work/registry/export/", {"fields": PARTS, "format": "xlsx"})
    page = refused.content.decode()
    assert refused.status_code == 200 and 'value="family"' not in page and 'value="rewards"' in page
    assert not AuditRecord.objects.filter(verb="person.export").exists()
    rows = xlsx_rows(leader.get("/work/registry/export/", {"fields": PARTS[:4], "format": "xlsx"}))
    assert rows[0] == ("姓名", "职务", "人才类别", "奖励")
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["李四"][3] == "2021-06-30 奖励 优秀共产党员 中共会昌县委"
    assert by_name["李四"][1].startswith("2021-06-01–至今") and by_name["李四"][2] == "农村实用人才 农艺师 脐橙种植"
    assert by_name["王五"][3] is None


def test_the_need_to_know_is_per_person_for_a_user_with_two_roles(staff_client, branches, records):
    """A county leader who is also secretary of 上坑村: the sensitive tabs of 上坑村's people only."""
    both = staff_client("both", (RoleKind.COUNTY_LEADER, branches["county"]),
                        (RoleKind.BRANCH_SECRETARY, branches["b1"]))  # fmt: skip
    response = both.get("/work/registry/export/", {"fields": ["name", "rewards", "family"], "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    by_name = {line.split(",")[0]: line for line in lines[1:]}
    assert "党内警告" in by_name["李四"] and "李梅" in by_name["李四"]
    assert by_name["王五"] == "王五,,", "another branch's punishment or family was exported"


def test_a_large_export_of_positions_and_talents_keeps_its_queries_bounded(
    staff_client, branches, django_assert_max_num_queries
):
    people = Person.objects.bulk_create(
        [Person(name=f"干部{i}", name_pinyin=f"ganbu{i:05d}", gender="male", branch=branches["b1"],
                joined_date=date(2010, 7, 1), full_member_date=date(2011, 7, 1), is_cadre=True) for i in range(5000)]
    )  # fmt: skip
    Position.objects.bulk_create(
        [Position(person=p, title="村支书", unit=branches["v1"], start=date(2021, 1, 1)) for p in people]
    )
    Talent.objects.bulk_create([Talent(person=p, category="rural") for p in people[::2]])
    org = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    with django_assert_max_num_queries(40):
        rows = xlsx_rows(org.get("/work/registry/export/", {"fields": ["name", "positions", "talents"],
                                                             "format": "xlsx"}))  # fmt: skip
    assert len(rows) == 5001
    assert all(row[1] == "2021-01-01–至今 上坑村 村支书" for row in rows[1:])
    assert sum(1 for row in rows[1:] if row[2] == "农村实用人才") == 2500
