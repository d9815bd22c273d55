"""Audiences: who a campaign reaches, from the registry (members, cadres, talents by category, unit subtree, tags,
saved searches), within the units the composer may see. An audience is stored as a small dict:

    {"unit": <Unit pk>, "filters": {<registry SearchFilters>}, "saved_search": <SavedSearch pk>}

`unit` is required: the subtree the campaign reaches; `filters` narrows it with the registry's own filter (stage,
category, cadre, talent, tag …); `saved_search` takes a smart group instead of `filters`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dangjian.core.models import Unit
from dangjian.core.permissions import scope_for
from dangjian.services.registry.choices import Status
from dangjian.services.registry.identity import normalise_mobile
from dangjian.services.registry.models import Person, SavedSearch
from dangjian.services.registry.queries import SearchFilters
from dangjian.services.sms.access import COMPOSE_KINDS
from dangjian.services.sms.models import OptOut


def clean(user, audience: dict) -> dict:
    """The audience as stored, or a ValidationError saying what is wrong."""
    if not isinstance(audience, dict):
        raise ValidationError(_("Unknown audience."))
    unit = Unit.objects.filter(pk=audience.get("unit") or 0).first()
    if unit is None or not scope_for(user).covers(unit, COMPOSE_KINDS):
        raise ValidationError(_("Choose a unit you may send to."))
    out: dict = {"unit": unit.pk}
    if audience.get("saved_search"):
        saved = SavedSearch.objects.filter(pk=audience["saved_search"]).first()
        if saved is None or not scope_for(user).covers(saved.unit):
            raise ValidationError(_("Unknown saved search."))
        out["saved_search"] = saved.pk
    elif audience.get("filters"):
        out["filters"] = SearchFilters.from_dict(audience["filters"]).to_dict()
    return out


def people(audience: dict) -> QuerySet:
    """The registry's people in the audience (living records of the unit's subtree), as the database selects them."""
    unit = Unit.objects.get(pk=audience["unit"])
    qs = Person.objects.filter(branch__path__descendant_of=unit.path, status__in=[Status.NORMAL, Status.LOST_CONTACT])
    if saved_pk := audience.get("saved_search"):
        saved = SavedSearch.objects.get(pk=saved_pk)
        qs = SearchFilters.from_dict(saved.filters).apply(qs.filter(branch__path__descendant_of=saved.unit.path))
    elif audience.get("filters"):
        qs = SearchFilters.from_dict(audience["filters"]).apply(qs)
    return qs.exclude(phone="")


@dataclass(frozen=True)
class Recipient:
    mobile: str
    values: dict[str, str]


def recipients(audience: dict) -> Iterator[Recipient]:
    """Each mobile once (the first person holding it), with the template values; numbers that are not mainland
    mobiles are left out."""
    seen: set[str] = set()
    rows = people(audience).order_by("id").values_list("phone", "name", "branch__name", "work_unit")
    for stored, name, branch, work_unit in rows.iterator(chunk_size=5000):
        try:
            mobile = normalise_mobile(stored)  # values_list applies the field's decryption
        except ValidationError:
            continue
        if mobile in seen:
            continue
        seen.add(mobile)
        yield Recipient(mobile, {"姓名": name, "支部": branch, "单位": work_unit or branch})


@dataclass(frozen=True)
class Count:
    reachable: int  # distinct mobiles
    opted_out: int

    def sendable(self, *, mandatory: bool) -> int:
        return self.reachable if mandatory else self.reachable - self.opted_out


def count(audience: dict) -> Count:
    """The count before sending: distinct mobiles, and how many of them opted out."""
    mobiles = {r.mobile for r in recipients(audience)}
    return Count(len(mobiles), len(opted_out() & mobiles))


def opted_out() -> set[str]:
    return set(OptOut.objects.values_list("mobile", flat=True))
