"""The monthly run's batches: each batch reads the lines, bases and reductions of a range of members' pks, and writes
its lines in few statements; members of one range get their own base and reduction, people in the range who owe
nothing get no line, and a line another run wrote meanwhile is neither doubled nor counted as written."""

from datetime import date
from decimal import Decimal

import pytest

from dangjian.services.dues import actions
from dangjian.services.dues.models import Line

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)


def test_members_of_one_range_of_pks_get_their_own_base_and_reduction(make_person, make_user, branches,
                                                                       monkeypatch):  # fmt: skip
    monkeypatch.setattr(actions, "BATCH", 2)  # ranges of two members, with a non-member inside one of them
    monkeypatch.setattr(actions, "SQLITE_ROWS_PER_INSERT", 1)  # several statements for one batch on SQLite
    first = make_person("甲", category="employed")
    make_person("乙", stage="activist", joined_date=None, full_member_date=None)
    second = make_person("丙", category="employed")
    make_person("丁", category="farmer")
    retired = make_person("戊", category="retired")
    for person, base in ((first, "2800"), (second, "12000"), (retired, "3000")):
        actions.declare_base(actor=None, person=person, valid_from=date(2025, 1, 1), base=base)
    actions.declare_base(actor=None, person=second, valid_from=JAN, base="8000")  # the later base wins
    org = make_user("org", ("org_admin", branches["county"]))
    actions.grant_reduction(actor=org, person=retired, first_month=JAN, last_month=JAN, monthly_amount="0",
                            reason="重病")  # fmt: skip
    result = actions.run_month(actor=None, month=JAN)
    assert result.created == 4 and not result.missing_base
    lines = {name: (due, reduction) for name, due, reduction in
             Line.objects.values_list("person__name", "due", "reduction")}  # fmt: skip
    assert lines == {"甲": (Decimal("14.00"), Decimal("0.00")), "丙": (Decimal("120.00"), Decimal("0.00")),
                     "丁": (Decimal("0.20"), Decimal("0.00")), "戊": (Decimal("15.00"), Decimal("15.00"))}  # fmt: skip


def test_a_line_another_run_wrote_meanwhile_is_not_doubled_or_counted(make_person, monkeypatch):
    people = [make_person(name) for name in ("甲", "乙", "丙")]
    insert = actions._insert_lines

    def another_run_writes_one_first(rows):
        Line.objects.create(person=people[1], branch=people[1].branch, month=JAN, category="farmer",
                            due=Decimal("0.20"))  # fmt: skip
        return insert(rows)

    monkeypatch.setattr(actions, "_insert_lines", another_run_writes_one_first)
    assert actions.run_month(actor=None, month=JAN).created == 2
    assert Line.objects.filter(month=JAN).count() == 3
