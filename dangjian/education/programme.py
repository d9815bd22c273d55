"""The Sunday-class programme builder: a pure function over plain data, so it is fast, testable and scales.

For one station and one Sunday it takes, in this order of precedence, the county-wide items, the station's
requests (most requested first), the seasonal and production rules that apply to the month and the station's
industries, then popular library items to fill the session; it never exceeds the session length and never
repeats what the station played recently or an item already chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

COUNTY, REQUEST, SEASON, INDUSTRY, FILL = "county", "request", "season", "industry", "fill"


@dataclass(frozen=True)
class Request:
    request_id: int
    resource_id: int | None = None
    topic_id: int | None = None


@dataclass(frozen=True)
class Rule:
    resource_ids: tuple[int, ...]
    months: frozenset[int]
    industry_id: int | None = None  # None: for every station
    priority: int = 50


@dataclass(frozen=True)
class Catalogue:
    """What may be played (library items with their planned minutes) and the county's rules for the week."""

    minutes: Mapping[int, int]  # resource id -> minutes it takes
    by_topic: Mapping[int, Sequence[int]] = field(default_factory=dict)  # topic id -> resource ids, best first
    county: Sequence[int] = ()
    rules: Sequence[Rule] = ()
    fill: Sequence[int] = ()  # popular items, best first


@dataclass(frozen=True)
class Station:
    station_id: int
    session_minutes: int
    industries: frozenset[int] = frozenset()
    requests: Sequence[Request] = ()
    recent: frozenset[int] = frozenset()  # resource ids played in the last weeks


@dataclass(frozen=True)
class Planned:
    resource_id: int
    minutes: int
    reason: str
    request_ids: tuple[int, ...] = ()


def build(station: Station, catalogue: Catalogue, month: int) -> list[Planned]:
    """The programme for one station: a list of items whose minutes add up to at most the session length."""
    chosen: list[Planned] = []
    taken: set[int] = set(station.recent)
    left = station.session_minutes

    def take(resource_id: int, reason: str, request_ids: tuple[int, ...] = ()) -> bool:
        nonlocal left
        minutes = catalogue.minutes.get(resource_id)
        if minutes is None or resource_id in taken or minutes > left:
            return False
        taken.add(resource_id)
        chosen.append(Planned(resource_id, minutes, reason, request_ids))
        left -= minutes
        return True

    for resource_id in catalogue.county:
        take(resource_id, COUNTY)

    # Requests of one resource by several villagers count together; the most requested come first.
    by_resource: dict[int, list[int]] = {}
    by_topic: dict[int, list[int]] = {}
    for r in station.requests:
        if r.resource_id is not None:
            by_resource.setdefault(r.resource_id, []).append(r.request_id)
        elif r.topic_id is not None:
            by_topic.setdefault(r.topic_id, []).append(r.request_id)
    demand = Counter({("r", k): len(v) for k, v in by_resource.items()})
    demand.update({("t", k): len(v) for k, v in by_topic.items()})
    for (what, key), _count in sorted(demand.items(), key=lambda kv: (-kv[1], kv[0])):
        if what == "r":
            take(key, REQUEST, tuple(by_resource[key]))
        else:
            for resource_id in catalogue.by_topic.get(key, ()):
                if take(resource_id, REQUEST, tuple(by_topic[key])):
                    break

    rules = [
        r
        for r in catalogue.rules
        if month in r.months and (r.industry_id is None or r.industry_id in station.industries)
    ]
    # Industry rules first at equal priority: they are what this village lives from.
    for rule in sorted(rules, key=lambda r: (-r.priority, r.industry_id is None)):
        for resource_id in rule.resource_ids:
            take(resource_id, INDUSTRY if rule.industry_id is not None else SEASON)

    for resource_id in catalogue.fill:
        if left <= 0:
            break
        take(resource_id, FILL)
    return chosen


def build_many(stations: Iterable[Station], catalogue: Catalogue, month: int) -> dict[int, list[Planned]]:
    return {s.station_id: build(s, catalogue, month) for s in stations}
