"""Cadre alerts (干部预警): retirement age by the statutory schedule with the gradual delay from 2025, terms of office
ending, both at their boundary dates; the page in the user's units, its export and the workbench panel."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import actions
from dangjian.services.registry.choices import Status
from dangjian.services.registry.queries import AlertKind, cadre_alerts
from dangjian.services.registry.retirement import add_months, retirement_date
from tests.services.conftest import valid_id

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("born", "gender", "senior", "retires"),
    [
        (date(1964, 12, 20), "male", False, date(2024, 12, 20)),  # before the reform: 60
        (date(1965, 1, 10), "male", False, date(2025, 2, 10)),  # the decision's table: 60 years 1 month
        (date(1965, 4, 30), "male", False, date(2025, 5, 30)),
        (date(1965, 5, 1), "male", False, date(2025, 7, 1)),  # 60 years 2 months
        (date(1976, 8, 1), "male", False, date(2039, 7, 1)),  # 62 years 11 months
        (date(1976, 9, 1), "male", False, date(2039, 9, 1)),  # 63, and no later
        (date(1985, 3, 31), "male", False, date(2048, 3, 31)),
        (date(1969, 12, 1), "female", False, date(2024, 12, 1)),  # 55
        (date(1970, 1, 31), "female", False, date(2025, 2, 28)),  # 55 years 1 month, end of a shorter month
        (date(1981, 9, 1), "female", False, date(2039, 9, 1)),  # 58
        (date(1970, 1, 31), "female", True, date(2030, 1, 31)),  # 县处级女干部: 60
    ],
)
def test_retirement_dates_follow_the_statutory_schedule(born, gender, senior, retires):
    assert retirement_date(born, gender, senior=senior) == retires


SEQUENCE = itertools.count(10)


def cadre(name, born: date, branch, *, female=False, **fields):
    """A cadre made through the action; the ID number carries the birth date and the gender."""
    number = valid_id(f"360733{born:%Y%m%d}{next(SEQUENCE) % 90 + 10:02d}{4 if female else 3}")
    return actions.create_person(
        actor=None,
        data=actions.PersonData(
            name=name, branch=branch, id_number=number, joined_date=date(2010, 7, 1),
            full_member_date=date(2011, 7, 1), is_cadre=True, **fields,
        ),
    )  # fmt: skip


@pytest.fixture
def admin(make_user, branches):
    return make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))


def test_retirement_is_alerted_from_the_warning_horizon_on(admin, branches):
    b3 = branches["b3"]
    horizon = add_months(TODAY, 24)  # 2028-06-15
    # Men born September to December 1967 retire at 60 years 9 months.
    later = cadre("刘一", date(1967, 12, 15), b3)  # → 2028-09-15
    at = cadre("陈二", date(1967, 9, 15), b3)  # → 2028-06-15, the horizon
    after = cadre("杨三", date(1967, 9, 16), b3)  # a day later
    cadre("黄四", date(1960, 3, 1), b3)  # past retirement, still in post
    woman = cadre("周五", date(1973, 1, 15), b3, female=True)  # 55 + 10 months → 2028-11-15: not yet
    cadre("吴六", date(1972, 9, 15), b3, female=True)  # 55 + 9 months → 2028-06-15
    alerts = cadre_alerts(admin, today=TODAY, kind=AlertKind.RETIREMENT)
    assert retirement_date(at.birth_date, "male") == horizon
    assert [(a.person.name, a.due) for a in alerts] == [
        ("黄四", date(2020, 3, 1)), ("陈二", horizon), ("吴六", horizon),
    ]  # fmt: skip
    assert alerts[0].late(TODAY) and not alerts[1].late(TODAY)
    assert {later.pk, after.pk, woman.pk}.isdisjoint(a.person.pk for a in alerts)


def test_a_woman_cadre_of_division_rank_retires_at_60(admin, branches):
    woman = cadre("郑七", date(1970, 3, 1), branches["b3"], female=True)  # 55 years 1 month → 2025-04-01
    assert [a.person for a in cadre_alerts(admin, today=TODAY)] == [woman]
    actions.add_position(actor=None, person=woman, title="县妇联主席", start=date(2020, 1, 1), rank="division")
    assert cadre_alerts(admin, today=TODAY) == []  # 60 → 2030-03-01, beyond the horizon


def test_terms_are_alerted_from_the_warning_horizon_and_while_held_after_their_end(admin, branches):
    person = cadre("孙八", date(1985, 1, 1), branches["b3"])
    horizon = TODAY + timedelta(days=180)  # 2026-12-12
    at = actions.add_position(actor=None, person=person, title="镇长", start=date(2021, 12, 12), term_years=5)
    actions.add_position(actor=None, person=person, title="副书记", start=date(2021, 12, 13), term_years=5)
    over = actions.add_position(actor=None, person=person, title="主任", start=date(2018, 1, 1), term_years=5)
    actions.add_position(actor=None, person=person, title="站长", start=date(2015, 1, 1), term_years=3,
                         end=date(2018, 1, 1))  # fmt: skip
    actions.add_position(actor=None, person=person, title="委员", start=date(2015, 1, 1))  # no term
    alerts = cadre_alerts(admin, today=TODAY, kind=AlertKind.TERM)
    assert [(a.position, a.due) for a in alerts] == [(over, date(2023, 1, 1)), (at, horizon)]


def test_a_term_from_29_february_ends_on_the_28th_and_is_alerted_on_that_day(admin, branches):
    person = cadre("钱九", date(1985, 1, 1), branches["b3"])
    post = actions.add_position(actor=None, person=person, title="所长", start=date(2024, 2, 29), term_years=1)
    alerts = cadre_alerts(admin, today=date(2025, 2, 28), term_warning_days=0)
    assert [(a.position, a.due) for a in alerts] == [(post, date(2025, 2, 28))]
    assert cadre_alerts(admin, today=date(2025, 2, 27), term_warning_days=0) == []


def test_only_cadres_in_normal_standing_of_the_users_units(make_user, branches):
    cadre("冯十", date(1960, 1, 1), branches["b1"])
    gone = cadre("褚一", date(1960, 1, 1), branches["b1"])
    actions.set_status(actor=None, person=gone, status=Status.DECEASED)
    actions.create_person(
        actor=None,
        data=actions.PersonData(name="卫二", branch=branches["b1"], id_number=valid_id("36073319600101555"),
                                joined_date=date(2010, 7, 1), full_member_date=date(2011, 7, 1)),
    )  # fmt: skip
    cadre("蒋三", date(1960, 1, 1), branches["b2"])
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))
    assert [a.person.name for a in cadre_alerts(secretary, today=TODAY)] == ["冯十"]


@pytest.fixture
def alerted(branches):
    today = timezone.localdate()
    old = cadre("沈四", add_months(today, -12 * 63), branches["b1"])
    young = cadre("韩五", date(1990, 1, 1), branches["b1"])
    actions.add_position(actor=None, person=young, title="村主任", start=add_months(today, -59), term_years=5)
    cadre("朱六", add_months(today, -12 * 63), branches["b2"])
    return old, young


def test_the_alert_page_lists_the_users_cadres_and_filters_by_kind(staff_client, branches, alerted):
    c = staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))
    html = c.get("/work/registry/cadres/alerts/").content.decode()
    assert "沈四" in html and "韩五" in html and "村主任" in html and "朱六" not in html
    html = c.get("/work/registry/cadres/alerts/", {"kind": "term"}).content.decode()
    assert "韩五" in html and "沈四" not in html
    assert c.get("/work/registry/cadres/alerts/", {"kind": "nonsense"}).status_code == 200


def test_the_alert_page_runs_a_bounded_number_of_queries(staff_client, branches, django_assert_max_num_queries):
    today = timezone.localdate()
    for i in range(20):
        person = cadre(f"干部{i}", add_months(today, -12 * 63 - i), branches["b1"])
        actions.add_position(actor=None, person=person, title="站长", start=add_months(today, -60), term_years=5)
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    with django_assert_max_num_queries(14):
        html = c.get("/work/registry/cadres/alerts/").content.decode()
    assert html.count("站长") == 20


def test_the_alerts_export_as_csv_and_xlsx_and_the_export_is_logged(staff_client, branches, alerted):
    c = staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))
    response = c.get("/work/registry/cadres/alerts/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3 and {rows[1][0], rows[2][0]} == {"沈四", "韩五"}
    assert AuditRecord.objects.get(verb="registry.export_cadre_alerts").after == {"kind": "", "rows": 2}
    xlsx = c.get("/work/registry/cadres/alerts/", {"format": "xlsx", "kind": "retirement"})
    assert (
        xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
        and b"".join(xlsx.streaming_content)[:2] == b"PK"
    )


def test_a_plain_member_may_not_see_the_alerts(staff_client, branches):
    c = staff_client("m", (RoleKind.MEMBER, branches["b1"]))
    assert c.get("/work/registry/cadres/alerts/").status_code == 403


def test_the_workbench_counts_the_alerts(staff_client, branches, alerted):
    c = staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))
    html = c.get("/work/").content.decode()
    assert "/work/registry/cadres/alerts/?kind=retirement" in html
    assert "/work/registry/cadres/alerts/?kind=term" in html
