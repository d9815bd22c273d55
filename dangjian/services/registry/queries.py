"""Reads of the registry: the search (by name, pinyin, initials, ID number, phone, unit subtree, any field) and
saved searches. Every read starts from what the user may see."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.models import Unit
from dangjian.core.permissions import scope_for
from dangjian.services.dues.rules import Category
from dangjian.services.registry import crypto, retirement
from dangjian.services.registry.access import VIEW_KINDS
from dangjian.services.registry.choices import ETHNICITY_CHOICES, Degree, Gender, Stage, Status, TalentCategory
from dangjian.services.registry.identity import normalise_mobile, parse_id_number
from dangjian.services.registry.models import (
    HAS_ID_NUMBER,
    Person,
    Position,
    SavedSearch,
    Talent,
    Transfer,
    TransferState,
)

ID_LIKE = re.compile(r"\d{15}|\d{17}[\dXx]")
PHONE_LIKE = re.compile(r"(\+?86)?1\d{10}")
LATIN = re.compile(r"[A-Za-z]+")


def prefix_q(column: str, prefix: str) -> Q:
    """`column` starts with `prefix`, written so the column's B-tree index serves it on both databases.

    SQLite's LIKE is case-insensitive and cannot use a BINARY index, so it gets a range instead; PostgreSQL's
    LIKE uses the `varchar_pattern_ops` index Django adds for indexed CharFields.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{column}__startswith": prefix})


def text_q(text: str) -> Q:
    """What one search box means: an ID number or phone (exact, via the blind index), pinyin or initials, a name."""
    text = text.strip()
    if not text:
        return Q()
    compact = re.sub(r"[\s\-]", "", text)
    if ID_LIKE.fullmatch(compact):
        try:
            number = parse_id_number(compact).number
        except ValidationError:
            number = compact.upper()
        return HAS_ID_NUMBER & Q(id_index=crypto.blind_index("id", number))
    if PHONE_LIKE.fullmatch(compact):
        try:
            return Q(phone_index=crypto.blind_index("phone", normalise_mobile(compact)))
        except ValidationError:
            return Q(pk__in=[])
    if LATIN.fullmatch(compact):
        low = compact.lower()
        return prefix_q("name_initials", low) | prefix_q("name_pinyin", low)
    return prefix_q("name", text)


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from None


def _choices(values: Any, allowed: list[str], what: str) -> list[str]:
    if values in (None, ""):
        return []
    values = [values] if isinstance(values, str) else list(values)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError(_("Unknown %(what)s: %(values)s.") % {"what": what, "values": ", ".join(unknown)})
    return values


@dataclass
class SearchFilters:
    """The filter of a search or a saved search (stored as JSON in SavedSearch.filters)."""

    q: str = ""
    unit: int | None = None  # a Unit pk: its whole subtree
    status: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    gender: str = ""
    ethnicity: str = ""
    category: list[str] = field(default_factory=list)
    degree: list[str] = field(default_factory=list)
    talent: list[str] = field(default_factory=list)
    tag: str = ""
    cadre: bool | None = None
    born_from: date | None = None
    born_to: date | None = None
    joined_from: date | None = None
    joined_to: date | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchFilters:
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValidationError(_("Unknown filter: %(names)s.") % {"names": ", ".join(sorted(unknown))})
        unit = data.get("unit")
        try:
            unit = int(unit) if unit not in (None, "") else None
        except (TypeError, ValueError):
            raise ValidationError(_("Unknown unit.")) from None
        cadre = data.get("cadre")
        if isinstance(cadre, str):
            cadre = {"": None, "1": True, "true": True, "0": False, "false": False}.get(cadre.lower())
        return cls(
            q=str(data.get("q") or "")[:100],
            unit=unit,
            status=_choices(data.get("status"), Status.values, _("status")),
            stage=_choices(data.get("stage"), Stage.values, _("stage")),
            gender=(_choices(data.get("gender"), Gender.values, _("gender")) or [""])[0],
            ethnicity=(_choices(data.get("ethnicity"), [c for c, _l in ETHNICITY_CHOICES], _("ethnic group")) or [""])[
                0
            ],
            category=_choices(data.get("category"), Category.values, _("dues category")),
            degree=_choices(data.get("degree"), [d for d in Degree.values if d], _("education")),
            talent=_choices(data.get("talent"), TalentCategory.values, _("talent category")),
            tag=str(data.get("tag") or "")[:50],
            cadre=cadre if isinstance(cadre, bool) else None,
            born_from=_date(data.get("born_from")),
            born_to=_date(data.get("born_to")),
            joined_from=_date(data.get("joined_from")),
            joined_to=_date(data.get("joined_to")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, without empty entries."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, "", []):
                continue
            out[key] = value.isoformat() if isinstance(value, date) else value
        return out

    def apply(self, qs: QuerySet) -> QuerySet:
        qs = qs.filter(text_q(self.q))
        if self.unit is not None:
            unit = Unit.objects.filter(pk=self.unit).only("path").first()
            qs = qs.filter(branch__path__descendant_of=unit.path) if unit else qs.none()
        simple = {
            "status__in": self.status,
            "stage__in": self.stage,
            "gender": self.gender,
            "ethnicity": self.ethnicity,
            "category__in": self.category,
            "degree__in": self.degree,
            "is_cadre": self.cadre,
            "birth_date__gte": self.born_from,
            "birth_date__lte": self.born_to,
            "joined_date__gte": self.joined_from,
            "joined_date__lte": self.joined_to,
        }
        qs = qs.filter(**{k: v for k, v in simple.items() if v not in (None, "", [])})
        if self.talent:
            qs = qs.filter(pk__in=Talent.objects.filter(category__in=self.talent).values("person"))
        if self.tag:
            qs = qs.filter(tags__name=self.tag)
        return qs


def visible_people(user) -> QuerySet:
    return Person.objects.for_user(user, kinds=VIEW_KINDS)


def search(user, filters: SearchFilters) -> QuerySet:
    return filters.apply(visible_people(user)).select_related("branch")


def members_of(saved_search: SavedSearch, user) -> QuerySet:
    """The people a saved search (smart group) selects now, as `user` may see them: within the search's unit.

    The SMS platform calls this to address a group; it reads `person.phone` (decrypted) from the rows.
    """
    scope = scope_for(user)
    qs = scope.filter(Person.objects.all(), kinds=VIEW_KINDS)
    qs = qs.filter(branch__path__descendant_of=saved_search.unit.path)
    return SearchFilters.from_dict(saved_search.filters).apply(qs).select_related("branch")


def saved_searches(user) -> QuerySet:
    return SavedSearch.objects.for_user(user, kinds=VIEW_KINDS).select_related("unit")


class AlertKind(models.TextChoices):
    RETIREMENT = "retirement", _("Retirement age")
    TERM = "term", _("Term of office")


@dataclass(frozen=True)
class CadreAlert:
    """A cadre in post who reaches retirement age, or whose term in `position` ends, on `due` (past or coming)."""

    kind: str
    person: Person
    due: date
    position: Position | None = None

    def late(self, today: date) -> bool:
        return self.due <= today


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February falls back to the 28th in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def cadre_alerts(
    user,
    *,
    today: date | None = None,
    warning_months: int = retirement.RETIREMENT_WARNING_MONTHS,
    term_warning_days: int = retirement.TERM_WARNING_DAYS,
    kind: str = "",
) -> list[CadreAlert]:
    """Cadres in post (normal status) the user may see who reach retirement age within `warning_months`, and open
    posts whose term ends within `term_warning_days`, including those already past and still held: nearest first.
    `kind` keeps one of the two lists."""
    today = today or timezone.localdate()
    cadres = visible_people(user).filter(is_cadre=True, status=Status.NORMAL)
    # An alert names the person and the branch; the encrypted fields are neither read nor decrypted for it.
    secret = ("id_number", "phone")
    alerts: list[CadreAlert] = []
    if kind in ("", AlertKind.RETIREMENT):
        horizon = retirement.add_months(today, warning_months)
        # Nobody retires before the age of their group: a bound on the birth date the index serves; exact below.
        born_by = Q()
        for gender, schedule in ((Gender.MALE, retirement.MEN), (Gender.FEMALE, retirement.WOMEN)):
            born_by |= Q(gender=gender, birth_date__lte=years_before(horizon, schedule.base_years))
        senior = Position.objects.filter(
            person=OuterRef("pk"), end__isnull=True, rank__in=retirement.SENIOR_FEMALE_RANKS
        )
        found = cadres.filter(born_by).annotate(senior=Exists(senior)).select_related("branch").defer(*secret)
        for person in found.order_by():
            due = retirement.retirement_date(person.birth_date, person.gender, senior=person.senior)
            if due <= horizon:
                alerts.append(CadreAlert(AlertKind.RETIREMENT, person, due))
    if kind in ("", AlertKind.TERM):
        horizon = today + timedelta(days=term_warning_days)
        open_terms = Position.objects.filter(
            person__in=cadres, end__isnull=True, term_years__isnull=False
        ).select_related("person__branch", "unit")
        # A term ends term_years after its start: by the horizon means starting by about horizon - term_years
        # (a day's slack for 29 February); the exact end is checked below.
        ending = Q(pk__in=[])
        for years in open_terms.values_list("term_years", flat=True).distinct().order_by():
            ending |= Q(term_years=years, start__lte=years_before(horizon, years) + timedelta(days=1))
        for position in open_terms.filter(ending).defer(*(f"person__{name}" for name in secret)).order_by():
            due = position.term_end()
            if due is not None and due <= horizon:
                alerts.append(CadreAlert(AlertKind.TERM, position.person, due, position))
    alerts.sort(key=lambda a: (a.due, a.person.name_pinyin, a.person.pk))
    return alerts


def visible_transfers(user) -> QuerySet:
    """Letters the user's units sent or are to receive."""
    scope = scope_for(user)
    qs = Transfer.objects.select_related("person", "from_branch", "to_branch")
    if scope.unrestricted:
        return qs
    return qs.filter(scope.q("from_branch", VIEW_KINDS) | scope.q("to_branch", VIEW_KINDS))


def overdue_transfers(user, today: date | None = None) -> QuerySet:
    """Letters whose receipt has not come back within the month it was due."""
    today = today or timezone.localdate()
    return visible_transfers(user).filter(state=TransferState.ISSUED, receipt_due__lt=today)
