"""Reads of the education supermarket: what a visitor may see, search, the builder's data, the report card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from dangjian.core.models import PATH_STEP, Role, RoleKind, Unit, UnitKind
from dangjian.core.permissions import STAFF_KINDS, scope_for
from dangjian.education import programme
from dangjian.education.models import (
    Access,
    Answer,
    Attempt,
    Category,
    Classification,
    ClassReport,
    CountyItem,
    Kind,
    PlayedItem,
    PlayRequest,
    ProgrammeItem,
    ProgrammeState,
    Quiz,
    RequestState,
    Resource,
    SeasonRule,
    Station,
)


def ancestor_paths(paths) -> list[str]:
    """The paths of the units and of every unit above them."""
    return sorted({p[:i] for p in paths for i in range(PATH_STEP, len(p) + 1, PATH_STEP)})


def visible_resources(user) -> QuerySet[Resource]:
    """Published items the visitor may open: public ones for everyone; members-only ones for anyone logged in;
    internal ones for people in the owning unit's organisation (a role at or below it, or above it in scope)."""
    qs = Resource.objects.filter(published_at__lte=timezone.now())
    condition = Q(access=Access.PUBLIC, classification=Classification.PUBLIC)
    if user is not None and user.is_authenticated and user.is_active:
        scope = scope_for(user)
        if scope.unrestricted:
            return qs
        condition |= Q(classification=Classification.PUBLIC)
        prefixes = ancestor_paths(scope.paths())
        if prefixes:
            condition |= Q(classification=Classification.INTERNAL) & (Q(unit__path__in=prefixes) | scope.q("unit"))
    return qs.filter(condition)


def can_see(user, resource: Resource) -> bool:
    return visible_resources(user).filter(pk=resource.pk).exists()


def in_category(qs: QuerySet[Resource], category: Category) -> QuerySet[Resource]:
    """A category's items and those of its sub-categories (the tree is two levels deep)."""
    return qs.filter(Q(category=category) | Q(category__parent=category))


def new_this_week(qs: QuerySet[Resource]) -> QuerySet[Resource]:
    return qs.filter(published_at__gte=timezone.now() - timedelta(days=7)).order_by("-published_at")


def most_studied(qs: QuerySet[Resource]) -> QuerySet[Resource]:
    return qs.order_by("-study_seconds", "-view_count", "-pk")


def search(user, query: str):
    """The visitor's visible items matching the query, most relevant first."""
    query = query.strip()[:100]
    if not query:
        return visible_resources(user).none()
    return visible_resources(user).search(query, operator="and")


# --- stations and the Sunday class ----------------------------------------------------------------------

#: Weeks back in which an item a station played is not planned again.
RECENT_WEEKS = 8
#: Minutes planned for reading and discussing a document or an e-edition at a class.
DOCUMENT_MINUTES = 15


def next_sunday(today: date) -> date:
    """The coming Sunday (a week ahead when today is Sunday)."""
    return today + timedelta(days=6 - today.weekday() or 7)


def planned_minutes(kind: str, duration: int | None) -> int | None:
    if kind in (Kind.VIDEO, Kind.AUDIO):
        return max(1, -(-(duration or 0) // 60)) if duration else None
    if kind in (Kind.DOCUMENT, Kind.EDITION):
        return DOCUMENT_MINUTES
    return None  # a link cannot be played at a class


def playable() -> QuerySet[Resource]:
    """Library items a class may play before villagers: open to everyone, published, not links."""
    return visible_resources(None).exclude(kind=Kind.LINK)


def catalogue(sunday: date) -> programme.Catalogue:
    rows = list(playable().values_list("pk", "kind", "duration").order_by("-study_seconds", "-view_count", "pk"))
    minutes = {pk: m for pk, kind, duration in rows if (m := planned_minutes(kind, duration))}
    by_topic: dict[int, list[int]] = {}
    for topic_id, resource_id in (
        Resource.topics.through.objects.filter(resource_id__in=minutes)
        .order_by("pk")
        .values_list("topic_id", "resource_id")
    ):
        by_topic.setdefault(topic_id, []).append(resource_id)
    order = {pk: i for i, (pk, _k, _d) in enumerate(rows)}
    for ids in by_topic.values():
        ids.sort(key=order.__getitem__)
    county = list(
        CountyItem.objects.filter(start__lte=sunday, end__gte=sunday)
        .order_by("start", "pk")
        .values_list("resource_id", flat=True)
    )
    rule_resources: dict[int, list[int]] = {}
    for rule_id, resource_id in SeasonRule.resources.through.objects.order_by("pk").values_list(
        "seasonrule_id", "resource_id"
    ):
        rule_resources.setdefault(rule_id, []).append(resource_id)
    rules = [
        programme.Rule(tuple(rule_resources.get(pk, ())), frozenset(months or ()), industry_id, priority)
        for pk, months, industry_id, priority in SeasonRule.objects.filter(is_active=True).values_list(
            "pk", "months", "industry_id", "priority"
        )
    ]
    fill = [pk for pk, kind, _d in rows if kind in (Kind.VIDEO, Kind.AUDIO) and pk in minutes]
    return programme.Catalogue(minutes=minutes, by_topic=by_topic, county=county, rules=rules, fill=fill)


def station_inputs(stations: QuerySet[Station], sunday: date) -> list[programme.Station]:
    """Each station's plain data for the builder, in a fixed number of queries whatever the number of stations."""
    ids = list(stations.values_list("pk", flat=True))
    industries: dict[int, set[int]] = {}
    for station_id, industry_id in Station.industries.through.objects.filter(station_id__in=ids).values_list(
        "station_id", "industry_id"
    ):
        industries.setdefault(station_id, set()).add(industry_id)
    requests: dict[int, list[programme.Request]] = {}
    for pk, station_id, resource_id, topic_id in (
        PlayRequest.objects.filter(station_id__in=ids, state=RequestState.PENDING)
        .order_by("created_at", "pk")
        .values_list("pk", "station_id", "resource_id", "topic_id")
    ):
        requests.setdefault(station_id, []).append(programme.Request(pk, resource_id, topic_id))
    since = sunday - timedelta(weeks=RECENT_WEEKS)
    recent: dict[int, set[int]] = {}
    for station_id, resource_id in PlayedItem.objects.filter(
        report__station_id__in=ids, report__held_on__gte=since, report__held_on__lt=sunday
    ).values_list("report__station_id", "resource_id"):
        recent.setdefault(station_id, set()).add(resource_id)
    for station_id, resource_id in ProgrammeItem.objects.filter(
        programme__station_id__in=ids,
        programme__state=ProgrammeState.PUBLISHED,
        programme__sunday__gte=since,
        programme__sunday__lt=sunday,
    ).values_list("programme__station_id", "resource_id"):
        recent.setdefault(station_id, set()).add(resource_id)
    return [
        programme.Station(
            station_id=pk,
            session_minutes=minutes,
            industries=frozenset(industries.get(pk, ())),
            requests=requests.get(pk, []),
            recent=frozenset(recent.get(pk, ())),
        )
        for pk, minutes in stations.values_list("pk", "session_minutes")
    ]


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
    return start, end


def minimum() -> tuple[int, int]:
    """The monthly minimum of a station: (sessions, hours); a common rule is 2 and 20, configurable."""
    return (
        getattr(settings, "DANGJIAN_EDUCATION_MIN_SESSIONS", 2),
        getattr(settings, "DANGJIAN_EDUCATION_MIN_HOURS", 20),
    )


@dataclass
class CardRow:
    """One line of the 月报卡: a station, or a township's or the county's total."""

    unit_id: int
    name: str
    stations: int = 0
    sessions: int = 0
    minutes: int = 0
    attendance: int = 0
    below: int = 0  # stations under the minimum
    station_pk: int | None = None
    township: str = ""

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def flagged(self) -> bool:
        return self.below > 0


@dataclass
class ReportCard:
    month: date
    stations: list[CardRow]
    townships: list[CardRow]
    county: CardRow
    min_sessions: int
    min_hours: int


def report_card(user, month: date, kinds=None) -> ReportCard:
    """The month's report card over the stations the user may see (in roles of `kinds`), by township and county."""
    start, end = month_bounds(month)
    min_sessions, min_hours = minimum()
    stations = Station.objects.for_user(user, kinds=kinds).select_related("unit__parent").order_by("unit__path")
    totals = {
        row["station_id"]: row
        for row in ClassReport.objects.filter(station__in=stations, held_on__gte=start, held_on__lt=end)
        .values("station_id")
        .annotate(sessions=Count("pk"), minutes=Sum("minutes"), attendance=Sum("attendance"))
    }
    township_path_len = 2 * PATH_STEP
    township_names = dict(Unit.objects.filter(kind=UnitKind.TOWNSHIP).values_list("path", "name"))
    township_ids = dict(Unit.objects.filter(kind=UnitKind.TOWNSHIP).values_list("path", "pk"))
    rows, by_township = [], {}
    county = CardRow(0, "")
    for s in stations:
        t = totals.get(s.pk, {})
        tpath = s.unit.path[:township_path_len]
        row = CardRow(
            s.unit_id, s.name, 1, t.get("sessions", 0), t.get("minutes") or 0, t.get("attendance") or 0,
            station_pk=s.pk, township=township_names.get(tpath, ""),
        )  # fmt: skip
        row.below = int(row.sessions < min_sessions or row.minutes < min_hours * 60)
        rows.append(row)
        agg = by_township.setdefault(tpath, CardRow(township_ids.get(tpath, 0), township_names.get(tpath, "")))
        for target in (agg, county):
            target.stations += 1
            target.sessions += row.sessions
            target.minutes += row.minutes
            target.attendance += row.attendance
            target.below += row.below
    return ReportCard(month, rows, list(by_township.values()), county, min_sessions, min_hours)


# --- quizzes --------------------------------------------------------------------------------------------


def quiz_unit(user, quiz: Quiz) -> Unit | None:
    """The unit a member takes a quiz for: the unit of their member role within the quiz's unit, else the deepest
    unit of another of their roles there; None when they belong to none (the quiz is not theirs)."""
    roles = (
        Role.objects.filter(user=user, unit__path__startswith=quiz.unit.path, unit__is_active=True)
        .select_related("unit")
        .order_by("unit__path")
    )
    found = sorted(roles, key=lambda r: (r.kind != RoleKind.MEMBER, -len(r.unit.path)))
    return found[0].unit if found else None


def open_quizzes(user, now=None) -> QuerySet[Quiz]:
    """The published quizzes open now for a member: those of their units and of the units above them."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        return Quiz.objects.none()
    paths = ancestor_paths(user.roles.filter(unit__is_active=True).values_list("unit__path", flat=True))
    return (
        Quiz.objects.filter(is_published=True, opens_at__lte=now, unit__path__in=paths)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .order_by("kind", "closes_at", "pk")
    )


def my_attempts_by_quiz(user, quizzes, today: date) -> dict[int, list[Attempt]]:
    """The member's attempts at these quizzes (today's only for a daily quiz), newest first, in one query."""
    daily = [q.pk for q in quizzes if q.is_daily]
    tests = [q.pk for q in quizzes if not q.is_daily]
    found: dict[int, list[Attempt]] = {}
    for a in (
        Attempt.objects.filter(user=user)
        .filter(Q(quiz_id__in=daily, day=today) | Q(quiz_id__in=tests))
        .order_by("-started_at", "-pk")
    ):
        found.setdefault(a.quiz_id, []).append(a)
    return found


def staff_quizzes(user) -> QuerySet[Quiz]:
    """The quizzes whose results a staff user may read: those of their units and of the units above them (whose
    results they see for their own units only)."""
    scope = scope_for(user)
    if scope.unrestricted:
        return Quiz.objects.all()
    paths = scope.paths(STAFF_KINDS)
    return Quiz.objects.filter(scope.q("unit", STAFF_KINDS) | Q(unit__path__in=ancestor_paths(paths)))


@dataclass
class ResultRow:
    """A branch's (or a township's, or the whole scope's) results at a test: members, who took it, who passed."""

    unit_id: int
    name: str
    township: str = ""
    members: int = 0  # members of the unit (their member role)
    took: int = 0  # members who submitted at least once
    passed: int = 0  # members whose best attempt passed
    score_sum: int = 0  # of the members' best scores

    @property
    def average(self) -> float | None:
        return round(self.score_sum / self.took, 1) if self.took else None

    @property
    def pass_rate(self) -> float | None:
        return round(100 * self.passed / self.took, 1) if self.took else None

    def add(self, other: ResultRow) -> None:
        self.members += other.members
        self.took += other.took
        self.passed += other.passed
        self.score_sum += other.score_sum


@dataclass
class QuizResults:
    quiz: Quiz
    branches: list[ResultRow]
    townships: list[ResultRow]
    total: ResultRow


def quiz_results(user, quiz: Quiz) -> QuizResults:
    """A test's results per branch and township, over the units the staff user may see, in a fixed number of
    queries: each member counts once, with their best submitted attempt."""
    scope = scope_for(user)
    attempts = scope.filter(Attempt.objects.submitted().filter(quiz=quiz), kinds=STAFF_KINDS)
    best = (
        attempts.order_by()
        .values("unit", "user")
        .annotate(best=Max("score"), passed=Count("pk", filter=Q(passed=True)))
    )
    roles = Role.objects.filter(kind=RoleKind.MEMBER, unit__path__startswith=quiz.unit.path)
    members = scope.filter(roles, kinds=STAFF_KINDS).order_by().values("unit").annotate(n=Count("user", distinct=True))
    rows: dict[int, ResultRow] = {}
    for r in members:
        rows.setdefault(r["unit"], ResultRow(r["unit"], "")).members = r["n"]
    for r in best:
        row = rows.setdefault(r["unit"], ResultRow(r["unit"], ""))
        row.took += 1
        row.passed += int(bool(r["passed"]))
        row.score_sum += r["best"] or 0
    units = Unit.objects.in_bulk(list(rows))
    township_len = 2 * PATH_STEP
    townships_by_path = {u.path: u for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP)}
    by_township: dict[str, ResultRow] = {}
    total = ResultRow(0, "")
    for pk, row in rows.items():
        unit = units[pk]
        township = townships_by_path.get(unit.path[:township_len])
        row.name, row.township = unit.name, township.name if township else ""
        key = township.path if township else ""
        agg = by_township.setdefault(key, ResultRow(township.pk if township else 0, row.township))
        agg.add(row)
        total.add(row)
    branches = sorted(rows.values(), key=lambda r: units[r.unit_id].path)
    townships = [by_township[k] for k in sorted(by_township)]
    return QuizResults(quiz, branches, townships, total)


def quiz_non_takers(user, quiz: Quiz, unit: Unit | None = None) -> QuerySet[Role]:
    """The members (member roles) of the test's units, in the units the staff user may see (and under `unit` when
    given), who have not submitted an attempt at it: one row per member role, by unit and name."""
    roles = Role.objects.filter(kind=RoleKind.MEMBER, unit__path__startswith=(unit or quiz.unit).path)
    took = Attempt.objects.submitted().filter(quiz=quiz).values("user_id")
    return (
        scope_for(user)
        .filter(roles, kinds=STAFF_KINDS)
        .exclude(user_id__in=took)
        .select_related("user", "unit")
        .order_by("unit__path", "user__username", "pk")
    )


@dataclass
class QuestionRow:
    """How one question of a quiz went: the answers to it submitted in the staff user's units, and the wrong ones."""

    question_id: int
    text: str
    asked: int
    wrong: int

    @property
    def wrong_rate(self) -> float:
        return round(100 * self.wrong / self.asked, 1) if self.asked else 0.0


def question_stats(user, quiz: Quiz, limit: int = 10) -> list[QuestionRow]:
    """The quiz's questions most often answered wrong (by share, then count), over every submitted attempt in the
    units the staff user may see; one query."""
    attempts = scope_for(user).filter(Attempt.objects.submitted().filter(quiz=quiz), kinds=STAFF_KINDS)
    rows = (
        Answer.objects.filter(attempt__in=attempts)
        .values("question_id", "question__text")
        .annotate(asked=Count("pk"), wrong=Count("pk", filter=Q(is_correct=False)))
        .order_by()
    )
    found = [QuestionRow(r["question_id"], r["question__text"], r["asked"], r["wrong"]) for r in rows]
    found.sort(key=lambda r: (-r.wrong_rate, -r.wrong, r.question_id))
    return found[:limit]
