"""Learning records: study time from heartbeats of an active page or player, quiz answers, points by rules with daily
caps.

Time is counted honestly, as 学习强国 and Kolibri's progress logs do: the page sends a heartbeat only while it is
visible and in use (a video only while it plays), and the server credits at most the time since the previous
heartbeat of the same member and resource, never more than one beat's worth, so an open tab earns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from dangjian.core.models import User
from dangjian.education.models import Attempt, Resource, StudyRecord

#: Seconds between two heartbeats of the page (settings.DANGJIAN_EDUCATION_BEAT_SECONDS overrides).
BEAT_SECONDS = 30
#: Network slack: a beat credits at most one interval plus this.
SLACK_SECONDS = 5
#: An item counts as studied (for the per-article points) after this much real time on it in a day.
STUDIED_SECONDS = 60

#: Points rules (like 学习强国's): points per unit and a daily cap; settings.DANGJIAN_EDUCATION_POINTS overrides.
DEFAULT_RULES = {
    "item": {"points": 1, "cap": 6},  # per library item studied for at least STUDIED_SECONDS in a day
    "minutes": {"points": 1, "per": 5, "cap": 6},  # per 5 minutes studied in a day
    "quiz": {"points": 1, "cap": 5},  # per question answered right in a day's quizzes (each quiz's best attempt)
}


def rules() -> dict:
    return {**DEFAULT_RULES, **getattr(settings, "DANGJIAN_EDUCATION_POINTS", {})}


def beat_seconds() -> int:
    return int(getattr(settings, "DANGJIAN_EDUCATION_BEAT_SECONDS", BEAT_SECONDS))


def record_heartbeat(*, user: User, resource: Resource, seconds: int, now: datetime | None = None) -> int:
    """Credit one heartbeat; returns the seconds credited (0 for the first beat, which only starts the clock)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    max_credit = beat_seconds() + SLACK_SECONDS
    claimed = max(0, min(int(seconds), max_credit))
    with transaction.atomic():
        record = StudyRecord.objects.select_for_update().filter(user=user, resource=resource, day=day).first()
        if record is None:
            try:
                with transaction.atomic():
                    StudyRecord.objects.create(user=user, resource=resource, day=day, last_beat_at=now)
            except IntegrityError:  # a concurrent first beat: that one started the clock
                pass
            return 0
        elapsed = (now - record.last_beat_at).total_seconds()
        credited = int(min(claimed, max(0.0, elapsed))) if elapsed <= 2 * max_credit else 0
        StudyRecord.objects.filter(pk=record.pk).update(seconds=F("seconds") + credited, last_beat_at=now)
        if credited:
            Resource.objects.filter(pk=resource.pk).update(study_seconds=F("study_seconds") + credited)
    return credited


@dataclass
class Day:
    day: date
    seconds: int
    items: int
    points: int
    quizzes: int = 0  # quizzes and tests submitted
    right: int = 0  # questions answered right (each quiz's best attempt of the day)

    @property
    def minutes(self) -> int:
        return self.seconds // 60


def points(seconds: int, items: int, right: int = 0) -> int:
    """A day's points under the rules, each rule capped for the day."""
    r = rules()
    item_points = min(items * r["item"]["points"], r["item"]["cap"])
    minute_points = min(seconds // 60 // r["minutes"]["per"] * r["minutes"]["points"], r["minutes"]["cap"])
    quiz_points = min(right * r["quiz"]["points"], r["quiz"]["cap"])
    return item_points + minute_points + quiz_points


def quiz_days(user: User, start: date, end: date) -> dict[date, tuple[int, int]]:
    """Per day: (quizzes submitted, questions answered right). A test taken twice in a day counts its better
    attempt, so retaking a test earns no more than doing it well once."""
    found: dict[date, tuple[int, int]] = {}
    for row in (
        Attempt.objects.submitted()
        .filter(user=user, day__gte=start, day__lte=end)
        .order_by()
        .values("day", "quiz")
        .annotate(best=Max("correct"))
    ):
        quizzes, right = found.get(row["day"], (0, 0))
        found[row["day"]] = (quizzes + 1, right + row["best"])
    return found


def days(user: User, start: date, end: date) -> list[Day]:
    """The member's study and quizzes per day between two dates (inclusive), newest first, in two queries."""
    study = {
        r["day"]: (r["total"], r["items"])
        for r in StudyRecord.objects.filter(user=user, day__gte=start, day__lte=end)
        .order_by()
        .values("day")
        .annotate(total=Sum("seconds"), items=Count("pk", filter=Q(seconds__gte=STUDIED_SECONDS)))
        if r["total"]
    }
    quizzes = quiz_days(user, start, end)
    found = []
    for day in sorted(study.keys() | quizzes.keys(), reverse=True):
        seconds, items = study.get(day, (0, 0))
        taken, right = quizzes.get(day, (0, 0))
        found.append(Day(day, seconds, items, points(seconds, items, right), taken, right))
    return found


@dataclass
class Year:
    year: int
    seconds: int
    points: int
    days: list[Day]

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)


def year(user: User, y: int) -> Year:
    found = days(user, date(y, 1, 1), date(y, 12, 31))
    return Year(y, sum(d.seconds for d in found), sum(d.points for d in found), found)


def leaderboard(users, y: int, limit: int = 20) -> list[tuple[User, int]]:
    """The members among `users` who studied most in a year: (user, seconds), most first."""
    rows = (
        StudyRecord.objects.filter(user__in=users, day__gte=date(y, 1, 1), day__lte=date(y, 12, 31))
        .order_by()
        .values("user")
        .annotate(total=Sum("seconds"))
        .filter(total__gt=0)
        .order_by("-total", "user")[:limit]
    )
    totals = {r["user"]: r["total"] for r in rows}
    people = User.objects.in_bulk(list(totals))
    return [(people[pk], total) for pk, total in totals.items()]
