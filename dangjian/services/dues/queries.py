"""Reads of the dues ledger: a unit's month (its branches' lines and totals), a year by month, arrears.

A unit's ledger is its whole subtree: a branch sees its members, a committee its branches, the county everything.
Every read starts from what the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.core.models import Unit
from dangjian.services.dues.models import Line, Payment
from dangjian.services.registry.access import VIEW_KINDS

#: 党章 第九条: a member who without proper reason fails to pay dues for six months in a row is regarded as having
#: given up membership (自行脱党); the branch has to take the case up.
LAPSE_MONTHS = 6
SUM_FIELD = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=SUM_FIELD)
OWED = ExpressionWrapper(F("due") - F("reduction") - F("paid"), output_field=SUM_FIELD)


def lines_in(user, unit: Unit) -> QuerySet:
    return Line.objects.for_user(user, kinds=VIEW_KINDS).filter(branch__path__descendant_of=unit.path)


def month_lines(user, unit: Unit, month: date) -> QuerySet:
    return (
        lines_in(user, unit)
        .filter(month=month)
        .select_related("person", "branch")
        .order_by("branch__path", "person__name_pinyin", "person_id")
    )


@dataclass(frozen=True)
class Totals:
    members: int
    due: Decimal
    reduction: Decimal
    paid: Decimal
    unpaid_members: int

    @property
    def owed(self) -> Decimal:
        return self.due - self.reduction - self.paid

    @property
    def rate(self) -> float:
        """Share of the payable amount paid (0–100)."""
        payable = self.due - self.reduction
        return float(self.paid / payable * 100) if payable else 100.0


TOTALS = {
    "members": Count("id"),
    "due_sum": Coalesce(Sum("due"), ZERO),
    "reduction_sum": Coalesce(Sum("reduction"), ZERO),
    "paid_sum": Coalesce(Sum("paid"), ZERO),
    "unpaid_members": Count("id", filter=Q(paid__lt=F("due") - F("reduction"))),
}


FEN = Decimal("0.01")


def _fen(amount) -> Decimal:
    """A sum to the fen: SQLite adds decimals as floating point (1000 × 0.20 comes back as 199.999999999997)."""
    return Decimal(amount).quantize(FEN)


def _totals(row: dict) -> Totals:
    sums = (_fen(row["due_sum"]), _fen(row["reduction_sum"]), _fen(row["paid_sum"]))
    return Totals(row["members"], *sums, row["unpaid_members"])


def month_totals(user, unit: Unit, month: date) -> Totals:
    return _totals(lines_in(user, unit).filter(month=month).aggregate(**TOTALS))


def branch_totals(user, unit: Unit, month: date) -> list[tuple[Unit, Totals]]:
    """Per branch in the unit's subtree, for one month: the committee's and the county's ledger."""
    rows = list(lines_in(user, unit).filter(month=month).values("branch").annotate(**TOTALS).order_by("branch__path"))
    units = Unit.objects.in_bulk([r["branch"] for r in rows])
    return [(units[r["branch"]], _totals(r)) for r in rows]


def year_totals(user, unit: Unit, year: int) -> list[tuple[date, Totals]]:
    rows = lines_in(user, unit).filter(month__year=year).values("month").annotate(**TOTALS).order_by("month")
    return [(r["month"], _totals(r)) for r in rows]


def payments_in(user, unit: Unit, month: date) -> QuerySet:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return (
        Payment.objects.for_user(user, kinds=VIEW_KINDS)
        .filter(branch__path__descendant_of=unit.path, paid_on__gte=month, paid_on__lt=nxt)
        .select_related("person")
    )


@dataclass(frozen=True)
class Arrears:
    person_id: int
    name: str
    branch: str
    months: int
    owed: Decimal
    since: date
    lapsed: bool  # six months or more in a row unpaid


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def arrears(user, unit: Unit, *, today: date | None = None, limit: int = 500) -> list[Arrears]:
    """Members with unpaid past months (the current month is not late yet), most months first.

    `lapsed`: every one of the last six past months is unpaid (党章 第九条)."""
    current = (today or timezone.localdate()).replace(day=1)
    recent_from = _months_back(current, LAPSE_MONTHS)
    rows = (
        lines_in(user, unit)
        .filter(month__lt=current, paid__lt=F("due") - F("reduction"))
        .values("person", "person__name", "branch__name")
        .annotate(
            months=Count("id"),
            owed=Sum(OWED),
            since=Min("month"),
            recent=Count("id", filter=Q(month__gte=recent_from)),
        )
        .order_by("-months", "person__name")[:limit]
    )
    return [
        Arrears(r["person"], r["person__name"], r["branch__name"], r["months"], _fen(r["owed"]), r["since"],
                r["recent"] >= LAPSE_MONTHS)
        for r in rows
    ]  # fmt: skip
