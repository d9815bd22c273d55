"""Figures of the supervision supermarket for the stats app: letters per channel and per unit, interviews.

Public figures count every letter (confidential ones included: a count reveals no text); on the workbench the
viewer's scope limits them to the letters held by their units.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, DateTimeField, F, Q
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.stats.registry import SHANGHAI, Period, Series, register
from dangjian.supervision.models import Interview, InterviewState, Letter, Question, QuestionState, RatingValue


def _letters(period: Period, scope: Scope | None):
    qs = Letter.objects.filter(received_at__gte=period.starts_at(), received_at__lt=period.ends_before())
    return qs if scope is None else scope.filter(qs, "unit")


def _counts(now=None) -> dict:
    now = now or timezone.now()
    # Late: answered after the (possibly extended) due date, or not answered and the due date has passed.
    first_late = Q(first_response_at__gt=F("first_response_due")) | Q(
        first_response_at__isnull=True, first_response_due__lt=now
    )
    result_late = Q(answered_at__gt=F("result_due")) | Q(
        answered_at__isnull=True, result_due__lt=now, closed_at__isnull=True
    )
    return {
        "received": Count("pk", distinct=True),
        "first_on_time": Count("pk", filter=Q(first_response_at__lte=F("first_response_due")), distinct=True),
        "result_on_time": Count("pk", filter=Q(answered_at__lte=F("result_due")), distinct=True),
        "late": Count("pk", filter=first_late | result_late, distinct=True),
        "first_late": Count("pk", filter=first_late, distinct=True),
        "result_late": Count("pk", filter=result_late, distinct=True),
        "reopened": Count("pk", filter=Q(reopened_count__gt=0), distinct=True),
        "rated": Count("ratings", distinct=True),
        "satisfied": Count(
            "ratings", filter=Q(ratings__value__in=(RatingValue.SATISFIED, RatingValue.BASICALLY)), distinct=True
        ),
    }


def _satisfaction(row: dict) -> float:
    return round(100 * row["satisfied"] / row["rated"], 1) if row["rated"] else 0


def _series(rows: list[dict], label_key: str) -> Series:
    return Series(
        labels=[str(r[label_key]) for r in rows],
        values={
            str(_("Received")): [r["received"] for r in rows],
            str(_("First follow-up on time")): [r["first_on_time"] for r in rows],
            str(_("Result on time")): [r["result_on_time"] for r in rows],
            str(_("Late")): [r["late"] for r in rows],
            str(_("Reopened")): [r["reopened"] for r in rows],
            str(_("Satisfaction (%)")): [_satisfaction(r) for r in rows],
        },
    )


@register(
    key="supervision.letters_per_channel",
    title=_("Letters per channel"),
    supermarket="supervision",
    public=True,
    chart="table",
    unit=_("letters"),
)
def letters_per_channel(period: Period, scope: Scope | None) -> Series:
    rows = list(
        _letters(period, scope)
        .order_by()
        .values("channel__position", "channel__name")
        .annotate(**_counts())
        .order_by("channel__position", "channel__name")
    )
    return _series(rows, "channel__name")


@register(
    key="supervision.letters_per_unit",
    title=_("Letters per unit"),
    supermarket="supervision",
    public=True,
    chart="table",
    unit=_("letters"),
)
def letters_per_unit(period: Period, scope: Scope | None) -> Series:
    rows = list(
        _letters(period, scope)
        .order_by()
        .values("unit__code", "unit__name")
        .annotate(**_counts())
        .order_by("unit__code")
    )
    return _series(rows, "unit__name")


def monthly_rows(period: Period, scope: Scope | None, by: str) -> list[dict]:
    """The letters received in each bucket of the period (a month, or the period's day or year) per unit or
    channel (`by`), counted in one grouped query: received, first follow-up and result on time and late,
    reopened, satisfaction. A unit or channel that received letters in the period has a row for every bucket of
    it, with zeros where it received none, so that its months line up; one that received none has no row."""
    fields = {"unit": ("unit__code", "unit__name"), "channel": ("channel__position", "channel__name")}[by]
    bucket = Trunc("received_at", period.granularity, output_field=DateTimeField(), tzinfo=SHANGHAI)
    rows = (
        _letters(period, scope)
        .order_by()
        .annotate(bucket=bucket)
        .values(*fields, "bucket")
        .annotate(**_counts())
        .order_by(*fields, "bucket")
    )
    found: dict[tuple, dict[date, dict]] = {}
    for row in rows:
        day = period.bucket_of(timezone.localtime(row["bucket"], SHANGHAI).date())
        found.setdefault((row[fields[0]], row[fields[1]]), {})[day] = row
    zero = dict.fromkeys(_counts(), 0)
    table = []
    for (_order, name), months in found.items():
        for day in period.buckets():
            row = months.get(day, zero)
            table.append({**row, "name": name, "period": period.label(day), "satisfaction": _satisfaction(row)})
    return table


def _monthly_series(rows: list[dict]) -> Series:
    return Series(
        labels=[f"{r['name']} {r['period']}" for r in rows],
        values={
            str(_("Received")): [r["received"] for r in rows],
            str(_("First follow-up on time")): [r["first_on_time"] for r in rows],
            str(_("Result on time")): [r["result_on_time"] for r in rows],
            str(_("Late first follow-ups")): [r["first_late"] for r in rows],
            str(_("Late results")): [r["result_late"] for r in rows],
            str(_("Reopened")): [r["reopened"] for r in rows],
            str(_("Satisfaction (%)")): [r["satisfaction"] for r in rows],
        },
    )


@register(
    key="supervision.letters_per_unit_month",
    title=_("Letters per unit and month"),
    supermarket="supervision",
    public=False,
    chart="table",
    unit=_("letters"),
)
def letters_per_unit_month(period: Period, scope: Scope | None) -> Series:
    """The unit × month table of the workbench: a row per unit and month in which the unit holds letters."""
    return _monthly_series(monthly_rows(period, scope, "unit"))


@register(
    key="supervision.letters_per_channel_month",
    title=_("Letters per channel and month"),
    supermarket="supervision",
    public=True,
    chart="table",
    unit=_("letters"),
)
def letters_per_channel_month(period: Period, scope: Scope | None) -> Series:
    """The public figures per channel and month (counts only: no title, text or name of anyone)."""
    return _monthly_series(monthly_rows(period, scope, "channel"))


@register(
    key="supervision.letters_received",
    title=_("Letters received"),
    supermarket="supervision",
    public=True,
    chart="line",
    unit=_("letters"),
)
def letters_received(period: Period, scope: Scope | None) -> Series:
    buckets = period.buckets()
    index = {b: i for i, b in enumerate(buckets)}
    counts = [0] * len(buckets)
    for received_at in _letters(period, scope).values_list("received_at", flat=True).iterator():
        counts[index[period.bucket_of(timezone.localtime(received_at, period.starts_at().tzinfo).date())]] += 1
    return Series(labels=[period.label(b) for b in buckets], values={str(_("Letters")): counts})


@register(
    key="supervision.interviews",
    title=_("Online interviews"),
    supermarket="supervision",
    public=True,
    chart="bar",
    unit=_("sessions"),
)
def interview_figures(period: Period, scope: Scope | None) -> Series:
    # A cancelled session never took place.
    sessions = Interview.objects.filter(starts_at__gte=period.starts_at(), starts_at__lt=period.ends_before()).exclude(
        state=InterviewState.CANCELLED
    )
    if scope is not None:
        sessions = scope.filter(sessions, "unit")
    questions = Question.objects.filter(interview__in=sessions)
    return Series(
        labels=[str(_("Sessions")), str(_("Questions asked")), str(_("Questions answered"))],
        values={
            str(_("Count")): [
                sessions.count(),
                questions.count(),
                questions.filter(state=QuestionState.APPROVED, answered_at__isnull=False).count(),
            ]
        },
    )
