"""Changes of state in the dues ledger: declare a base, run a month, record a payment, grant a reduction.

Each act is atomic, checks the actor's scope and leaves an audit record. The monthly run is idempotent: it writes
only the lines a month lacks, in batches, so it can run every day and over a million members.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit
from dangjian.core.models import Unit, User
from dangjian.core.permissions import scope_for
from dangjian.services.dues.models import Allocation, DuesBase, Line, Method, Payment, Reduction
from dangjian.services.dues.rules import CENT, DuesError, monthly_dues
from dangjian.services.registry.access import COMMITTEE_KINDS, EDIT_KINDS, role_for
from dangjian.services.registry.actions import next_in_sequence
from dangjian.services.registry.choices import MEMBER_STAGES, Status
from dangjian.services.registry.models import Person

#: Members who owe dues: full and probationary members (预备党员 pay dues too, 党章 第七条) in a standing that
#: keeps them in the branch's ledger.
LEDGER_STATUSES = (Status.NORMAL, Status.LOST_CONTACT)
BATCH = 5000


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def _require(actor: User | None, unit: Unit, kinds=EDIT_KINDS) -> str:
    scope = scope_for(actor)
    if actor is not None:
        scope.require(unit, kinds)
    return role_for(scope, unit, kinds)


def _amount(value, what: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except ArithmeticError:
        raise ValidationError({what: [_("Enter an amount in yuan, e.g. 12.50.")]}) from None
    if amount < 0:
        raise ValidationError({what: [_("The amount cannot be negative.")]})
    return amount


def _line_values(category: str, base: Decimal | None, reduction: Reduction | None) -> tuple[Decimal, Decimal]:
    """(due, reduction) of one month; raises DuesError when a based category has no base."""
    due = monthly_dues(category, base)
    if reduction is None:
        return due, Decimal("0.00")
    return due, max(due - reduction.monthly_amount, Decimal("0.00"))


@transaction.atomic
def declare_base(*, actor: User | None, person: Person, valid_from: date, base) -> DuesBase:
    """Declare a member's monthly base from a month on; unpaid lines of that month and later are recomputed."""
    role = _require(actor, person.branch)
    month = first_of_month(valid_from)
    amount = _amount(base, "base")
    try:
        monthly_dues(person.category, amount)
    except DuesError as exc:
        raise ValidationError({"base": [str(exc)]}) from None
    declared, _created = DuesBase.objects.update_or_create(
        person=person, valid_from=month, defaults={"base": amount, "declared_at": timezone.now()}
    )
    for line in Line.objects.select_for_update().filter(person=person, month__gte=month, paid=0):
        line.base = effective_base(person, line.month)
        line.category = person.category
        line.due, line.reduction = _line_values(line.category, line.base, reduction_for(person, line.month))
        line.save(update_fields=["base", "category", "due", "reduction"])
    audit.record(
        actor=actor, verb="dues.declare_base", obj=declared, unit=person.branch, role=role,
        after={"person": person.pk, "from": month, "base": amount},
    )  # fmt: skip
    return declared


def effective_base(person: Person, month: date) -> Decimal | None:
    found = DuesBase.objects.filter(person=person, valid_from__lte=month).order_by("-valid_from").first()
    return found.base if found else None


def reduction_for(person: Person, month: date) -> Reduction | None:
    return (
        Reduction.objects.filter(person=person, first_month__lte=month, last_month__gte=month)
        .order_by("-approved_at")
        .first()
    )


@dataclass
class RunResult:
    month: date
    created: int = 0
    existing: int = 0
    missing_base: list[int] = field(default_factory=list)  # person pks whose category needs a base


def run_month(*, actor: User | None, month: date, unit: Unit | None = None) -> RunResult:
    """The monthly run: compute every member's dues for `month` (within `unit`'s subtree, or the whole county).

    Writes the missing lines in batches of members, each batch in its own transaction; lines already there
    are left as they are, so a second run changes nothing. Members of a based category without a declared base
    are reported, not guessed.
    """
    month = first_of_month(month)
    role = ""
    if actor is not None:
        scope = scope_for(actor)
        if unit is None and not scope.unrestricted:
            raise ValidationError(_("Choose the unit whose ledger to compute."))
        if unit is not None:
            role = _require(actor, unit, COMMITTEE_KINDS + EDIT_KINDS)
    people = Person.objects.filter(stage__in=MEMBER_STAGES, status__in=LEDGER_STATUSES)
    if month.month == 12:
        next_month = month.replace(year=month.year + 1, month=1)
    else:
        next_month = month.replace(month=month.month + 1)
    people = people.filter(joined_date__lt=next_month)
    if unit is not None:
        people = people.filter(branch__path__descendant_of=unit.path)
    result = RunResult(month=month)
    last_pk = 0
    while True:
        batch = list(people.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "branch_id", "category")[:BATCH])
        if not batch:
            break
        last_pk = batch[-1][0]
        _run_batch(month, batch, result)
    if actor is None and not result.created:
        return result  # a scheduled run that found every line written changes nothing, and the audit log says nothing
    audit.record(
        actor=actor, verb="dues.run_month", unit=unit, role=role,
        after={"month": month, "created": result.created, "existing": result.existing,
               "missing_base": len(result.missing_base)},
    )  # fmt: skip
    return result


@transaction.atomic
def _run_batch(month: date, batch: list[tuple[int, int, str]], result: RunResult) -> None:
    # The batch is a run of members by pk: its lines, bases and reductions are read by that range of pks, not by a
    # list of 5,000 (which costs more to send and parse than to run). Rows of people in the range but not in the
    # batch (not members, or not in the unit) are read and left unused.
    span = (batch[0][0], batch[-1][0])
    existing = set(
        Line.objects.filter(month=month, person_id__gte=span[0], person_id__lte=span[1]).values_list(
            "person_id", flat=True
        )
    )
    bases: dict[int, Decimal] = {}
    # Ordered by month, so the latest declaration at or before the month wins.
    for pk, base in (
        DuesBase.objects.filter(person_id__gte=span[0], person_id__lte=span[1], valid_from__lte=month)
        .order_by("valid_from")
        .values_list("person_id", "base")
    ):
        bases[pk] = base
    reductions = {
        r.person_id: r
        for r in Reduction.objects.filter(
            person_id__gte=span[0], person_id__lte=span[1], first_month__lte=month, last_month__gte=month
        ).order_by("approved_at")
    }
    ops = connection.ops
    month_value = ops.adapt_datefield_value(month)
    money = functools.partial(ops.adapt_decimalfield_value, max_digits=12, decimal_places=2)
    zero = money(Decimal("0.00"))
    computed: dict[tuple, tuple] = {}  # most members share a (category, base): compute each pair once
    rows = []
    for pk, branch_id, category in batch:
        if pk in existing:
            result.existing += 1
            continue
        base, reduction = bases.get(pk), reductions.get(pk)
        key = (category, base, reduction.pk if reduction else None)
        if key not in computed:
            try:
                due, reduced = _line_values(category, base, reduction)
            except DuesError:
                computed[key] = None
            else:
                computed[key] = (money(base) if base is not None else None, money(due), money(reduced))
        if computed[key] is None:
            result.missing_base.append(pk)
            continue
        rows.append((pk, branch_id, month_value, category, *computed[key], zero))
    result.created += _insert_lines(rows)


#: The columns of a ledger line as the monthly run writes them, with their PostgreSQL array types.
LINE_COLUMNS = (("person_id", "bigint"), ("branch_id", "bigint"), ("month", "date"), ("category", "text"),
                ("base", "numeric"), ("due", "numeric"), ("reduction", "numeric"), ("paid", "numeric"))  # fmt: skip
SQLITE_ROWS_PER_INSERT = 1000  # 8,000 parameters, under SQLite's 32,766


def _insert_lines(rows: list[tuple]) -> int:
    """Write the lines in few statements (building a model instance per line, or a statement per line, costs
    more than the rest of the run at a million members): on PostgreSQL one INSERT of the batch's columns as arrays
    (`unnest`), on SQLite multi-row INSERTs. ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+) keeps a
    concurrent run from failing the batch; the count is of the lines written."""
    if not rows:
        return 0
    qn = connection.ops.quote_name
    # Only names from the model and placeholders go into the statement; the values are parameters.
    into = f"INSERT INTO {qn(Line._meta.db_table)} ({', '.join(qn(c) for c, _t in LINE_COLUMNS)})"
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for _c, t in LINE_COLUMNS)
            sql = f"{into} SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"  # noqa: S608
            cursor.execute(sql, [list(c) for c in zip(*rows, strict=True)])
            return cursor.rowcount
        one = f"({', '.join(['%s'] * len(LINE_COLUMNS))})"
        for start in range(0, len(rows), SQLITE_ROWS_PER_INSERT):
            chunk = rows[start : start + SQLITE_ROWS_PER_INSERT]
            sql = f"{into} VALUES {', '.join([one] * len(chunk))} ON CONFLICT DO NOTHING"
            cursor.execute(sql, [v for row in chunk for v in row])
            written += cursor.rowcount
    return written


def _next_receipt(branch: Unit, year: int) -> str:
    return f"{branch.code}-{year}-{next_in_sequence(f'dues-receipt:{branch.pk}:{year}'):06d}"


@transaction.atomic
def record_payment(
    *,
    actor: User | None,
    person: Person,
    amount,
    method: str,
    paid_on: date,
    extra=0,
    note: str = "",
) -> Payment:
    """A payment settles the member's open months, oldest first; a voluntary extra is kept apart. The receipt
    number is the branch's next one for the year. Paying more than is owed is refused: extra is marked as such."""
    role = _require(actor, person.branch)
    amount, extra = _amount(amount, "amount"), _amount(extra, "extra")
    if method not in Method.values:
        raise ValidationError({"method": [_("Choose how the dues were paid.")]})
    if amount == 0 and extra == 0:
        raise ValidationError({"amount": [_("Enter the amount paid.")]})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("The payment date is in the future.")]})
    open_lines = list(
        Line.objects.select_for_update().filter(person=person, paid__lt=F("due") - F("reduction")).order_by("month")
    )
    owed = sum((line.owed for line in open_lines), Decimal("0.00"))
    if amount > owed:
        raise ValidationError(
            {"amount": [_("%(name)s owes %(owed)s yuan; record anything more as a voluntary extra payment.")
                        % {"name": person.name, "owed": owed}]}
        )  # fmt: skip
    payment = Payment.objects.create(
        person=person, branch=person.branch, receipt=_next_receipt(person.branch, paid_on.year), paid_on=paid_on,
        method=method, amount=amount, extra=extra, note=note.strip()[:200], recorded_by=actor,
    )  # fmt: skip
    left = amount
    allocations = []
    for line in open_lines:
        if left <= 0:
            break
        part = min(left, line.owed)
        line.paid += part
        left -= part
        allocations.append(Allocation(payment=payment, line=line, amount=part))
    Line.objects.bulk_update([a.line for a in allocations], ["paid"])
    Allocation.objects.bulk_create(allocations)
    audit.record(
        actor=actor, verb="dues.record_payment", obj=payment, unit=person.branch, role=role,
        after={"person": person.pk, "amount": amount, "extra": extra, "method": method, "paid_on": paid_on,
               "months": [a.line.month for a in allocations]},
    )  # fmt: skip
    return payment


@transaction.atomic
def grant_reduction(
    *, actor: User | None, person: Person, first_month: date, last_month: date, monthly_amount, reason: str
) -> Reduction:
    """少交或免交, approved by the party committee above the member's branch (the 2008 rules): the actor must be
    a committee role (organisation department) reaching the unit above the branch. Months already computed in
    the period are reduced at once, never below what has been paid."""
    committee = person.branch.parent or person.branch
    role = _require(actor, committee, COMMITTEE_KINDS)
    first, last = first_of_month(first_month), first_of_month(last_month)
    amount = _amount(monthly_amount, "monthly_amount")
    if last < first:
        raise ValidationError({"last_month": [_("The last month is before the first.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason the branch put forward.")]})
    reduction = Reduction.objects.create(
        person=person, first_month=first, last_month=last, monthly_amount=amount, reason=reason.strip(),
        approved_by=actor, approving_unit=committee,
    )  # fmt: skip
    changed = []
    for line in Line.objects.select_for_update().filter(person=person, month__gte=first, month__lte=last):
        line.reduction = min(max(line.due - amount, Decimal("0.00")), line.due - line.paid)
        changed.append(line)
    Line.objects.bulk_update(changed, ["reduction"])
    audit.record(
        actor=actor, verb="dues.grant_reduction", obj=reduction, unit=person.branch, role=role,
        after={"person": person.pk, "first": first, "last": last, "monthly_amount": amount, "reason": reason},
    )  # fmt: skip
    return reduction
