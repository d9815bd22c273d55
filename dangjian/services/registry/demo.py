"""The services demo: party branches under the first township's villages and two departments, members in every
stage made through the actions, a few cadres and talents, declared dues bases, three months of the ledger with
payments, and a transfer letter waiting to be received.

Idempotent: branches and people are keyed by unit code and ID number; ledger months are only added where missing
(the monthly run itself is idempotent); payments and the letter are made once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dangjian.core import actions as core_actions
from dangjian.core.demo import COUNTY, WENWUBA
from dangjian.core.models import Unit, UnitKind
from dangjian.core.registry import register_demo
from dangjian.services.dues import actions as dues_actions
from dangjian.services.dues.models import Payment
from dangjian.services.registry import actions, crypto
from dangjian.services.registry.identity import check_char
from dangjian.services.registry.models import Person, Transfer

SURNAMES = "刘陈李张王钟曾黄邱赖谢肖温朱周罗欧阳"
GIVEN = ["建华", "秀英", "国平", "丽萍", "志强", "桂兰", "春生", "小燕", "永明", "红梅", "海军", "美玲", "德胜", "翠英",
         "晓东", "金凤", "文斌", "淑珍", "伟", "芳"]  # fmt: skip
#: (category, base): the dues category and declared base of the demo's members, in turn.
CATEGORIES = [("farmer", None), ("farmer", "0.50"), ("employed", "4200"), ("retired", "3600"),
              ("employed", "6800"), ("student", None), ("farmer", None), ("unemployed", None), ("employed", "2800"),
              ("relief", None)]  # fmt: skip
PER_BRANCH = 12


def _branches() -> list[Unit]:
    """A party branch under each of the first township's first four villages, and under two departments."""
    parents = list(Unit.objects.filter(code__startswith=WENWUBA, kind=UnitKind.VILLAGE).order_by("code")[:4])
    parents += list(Unit.objects.filter(code__in=[f"{COUNTY[0]}D006", f"{COUNTY[0]}D018"]).order_by("code"))
    out = []
    for parent in parents:
        code = f"{parent.code}B"
        unit = Unit.objects.filter(code=code).first() or core_actions.create_unit(
            actor=None, code=code, name=f"{parent.name.removeprefix('县')}党支部", kind=UnitKind.BRANCH, parent=parent
        )
        out.append(unit)
    return out


def _id_number(n: int, female: bool) -> str:
    birth = date(1955 + n % 45, n % 12 + 1, n % 28 + 1)
    seq = (n * 2) % 998 + (0 if female else 1)
    first17 = f"{COUNTY[0]}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def _people(branches: list[Unit]) -> list[Person]:
    people = []
    n = 0
    for bi, branch in enumerate(branches):
        for i in range(PER_BRANCH):
            n += 1
            female = i % 3 == 1
            number = _id_number(n, female)
            found = Person.objects.with_id_index(crypto.blind_index("id", number)).first()
            if found:
                people.append(found)
                continue
            category, _base = CATEGORIES[n % len(CATEGORIES)]
            stage = "full" if i < 9 else ("probationary", "candidate", "activist")[i - 9]
            joined = (
                date(1980 + n % 40, 7, 1) if stage == "full" else date(2026, 1, 10) if stage == "probationary" else None
            )
            data = actions.PersonData(
                name=SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)], branch=branch, id_number=number,
                phone=f"13{(n % 7) + 3}{n * 7919 % 100_000_000:08d}", stage=stage, category=category,
                activist_date=date(2024, 3, 1) if stage != "full" else None,
                candidate_date=date(2025, 3, 1) if stage in ("candidate", "probationary") else None,
                joined_date=joined, full_member_date=date(joined.year + 1, 7, 1) if stage == "full" else None,
                degree=("junior", "senior", "college", "bachelor")[n % 4], native_place="江西会昌",
                is_cadre=bi >= 4 and i < 3, tags=["退役军人"] if n % 11 == 0 else [],
            )  # fmt: skip
            people.append(actions.create_person(actor=None, data=data))
    return people


def _cadres_and_talents(people: list[Person]) -> None:
    for person in people:
        if person.is_cadre and not person.positions.exists():
            actions.record_appointment(actor=None, person=person, kind="appoint", title="副局长", date=date(2021, 6, 1),
                                       unit=person.branch.parent, document="会组任〔2021〕12号",
                                       rank="deputy_section", term_years=5)  # fmt: skip
            actions.add_position(actor=None, person=person, title="党支部委员", start=date(2022, 1, 1),
                                 unit=person.branch, term_years=5)  # fmt: skip
    for person, category, skills in [(people[2], "rural", "脐橙种植"), (people[5], "skilled", "电工"),
                                     (people[14], "professional", "小学教师")]:  # fmt: skip
        if not person.talents.exists():
            actions.add_talent(actor=None, person=person, category=category, skills=skills)


def _months_back(today: date, n: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    return sorted(out)


def _dues(people: list[Person]) -> None:
    months = _months_back(timezone.localdate(), 3)
    for n, person in enumerate(people, start=1):
        _category, base = CATEGORIES[n % len(CATEGORIES)]
        if person.is_member and base and not person.dues_bases.exists():
            dues_actions.declare_base(actor=None, person=person, valid_from=date(months[0].year, 1, 1), base=base)
    for month in months:
        dues_actions.run_month(actor=None, month=month)
    if Payment.objects.exists():
        return
    for n, person in enumerate(people):
        if n % 4 == 3:  # every fourth member is behind, for the arrears list
            continue
        owed = sum((line.owed for line in person.dues_lines.filter(month__lt=months[-1])), Decimal("0.00"))
        if owed:
            dues_actions.record_payment(actor=None, person=person, amount=owed, method=("cash", "online")[n % 2],
                                        paid_on=months[-1])  # fmt: skip


def _transfer(people: list[Person], branches: list[Unit]) -> None:
    if Transfer.objects.exists():
        return
    person = next(p for p in people if p.branch_id == branches[0].pk and p.stage == "full")
    actions.issue_transfer(actor=None, person=person, issued_on=timezone.localdate(), to_branch=branches[1],
                           reason="外出务工返乡，随居住地转接")  # fmt: skip


@register_demo
def load(stdout) -> None:
    with transaction.atomic():
        if not Unit.objects.filter(code__startswith=WENWUBA).exists():
            return
        branches = _branches()
        people = _people(branches)
        _cadres_and_talents(people)
        _dues(people)
        _transfer(people, branches)
    stdout.write(f"services: {len(people)} people in {len(branches)} branches\n")
