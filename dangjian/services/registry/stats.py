"""The services supermarket's figures for /data/ and /work/stats/: members, talents, transfers, party dues."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.services.dues.models import Line
from dangjian.services.dues.rules import Category
from dangjian.services.registry.access import VIEW_KINDS
from dangjian.services.registry.choices import MEMBER_STAGES, Stage, Status, TalentCategory
from dangjian.services.registry.models import Person, Talent, Transfer
from dangjian.stats.queries import scoped
from dangjian.stats.registry import Period, Series, register


def _counts(qs, field: str) -> dict:
    return dict(qs.order_by().values_list(field).annotate(n=Count("pk")))


@register(key="services.members_by_stage", title=_("Party members and applicants by stage"), supermarket="services",
          public=True, chart="bar", unit=_("people"))  # fmt: skip
def members_by_stage(period: Period, scope: Scope | None) -> Series:
    """People in normal standing today, per development stage (a count: no personal data)."""
    counts = _counts(scoped(Person.objects.filter(status=Status.NORMAL), scope, VIEW_KINDS), "stage")
    stages = [s for s in Stage if s != Stage.NONE]
    return Series(labels=[s.label for s in stages], values={_("People"): [counts.get(s.value, 0) for s in stages]})


@register(key="services.talents_by_category", title=_("Talents by category"), supermarket="services", public=True,
          chart="bar", unit=_("people"))  # fmt: skip
def talents_by_category(period: Period, scope: Scope | None) -> Series:
    counts = _counts(scoped(Talent.objects.all(), scope, VIEW_KINDS), "category")
    return Series(
        labels=[c.label for c in TalentCategory], values={_("People"): [counts.get(c.value, 0) for c in TalentCategory]}
    )


@register(key="services.members_by_dues_category", title=_("Members by dues category"), supermarket="services",
          public=False, chart="pie", unit=_("members"))  # fmt: skip
def members_by_dues_category(period: Period, scope: Scope | None) -> Series:
    members = Person.objects.filter(stage__in=MEMBER_STAGES, status=Status.NORMAL)
    counts = _counts(scoped(members, scope, VIEW_KINDS), "category")
    return Series(labels=[c.label for c in Category], values={_("Members"): [counts.get(c.value, 0) for c in Category]})


@register(key="services.dues_by_month", title=_("Party dues due and paid"), supermarket="services", public=False,
          chart="line", unit=_("yuan"))  # fmt: skip
def dues_by_month(period: Period, scope: Scope | None) -> Series:
    """Ledger months in the period: the payable amount (due less reductions) and what was paid."""
    size = period.bucket_count()
    payable, paid = [0.0] * size, [0.0] * size
    index = {b: i for i, b in enumerate(period.buckets())}
    lines = scoped(Line.objects.all(), scope, VIEW_KINDS).filter(month__gte=period.start.replace(day=1),
                                                                  month__lte=period.end)  # fmt: skip
    for month, due, reduction, got in (
        lines.order_by().values("month").annotate(d=Sum("due"), r=Sum("reduction"), p=Sum("paid"))
        .values_list("month", "d", "r", "p")
    ):  # fmt: skip
        bucket = period.bucket_of(month)
        if bucket in index:
            payable[index[bucket]] += float(due - reduction)
            paid[index[bucket]] += float(got)
    labels = [period.label(b) for b in period.buckets()]
    return Series(labels=labels, values={_("Payable"): payable, _("Paid"): paid})


@register(key="services.transfers_by_month", title=_("Relation transfer letters issued"), supermarket="services",
          public=False, chart="bar", unit=_("letters"))  # fmt: skip
def transfers_by_month(period: Period, scope: Scope | None) -> Series:
    size = period.bucket_count()
    within, out = [0] * size, [0] * size
    index = {b: i for i, b in enumerate(period.buckets())}
    transfers = Transfer.objects.all() if scope is None else Transfer.objects.filter(scope.q("from_branch", VIEW_KINDS))
    for issued_on, to_branch in transfers.filter(issued_on__gte=period.start, issued_on__lte=period.end).values_list(
        "issued_on", "to_branch"
    ):
        i = index[period.bucket_of(issued_on)]
        if to_branch:
            within[i] += 1
        else:
            out[i] += 1
    labels = [period.label(b) for b in period.buckets()]
    return Series(labels=labels, values={_("Within the county"): within, _("Out of the county"): out})
