"""Reads of the SMS platform, scoped by the viewer's units: campaigns, their statistics, the opt-out list."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from dangjian.services.sms.access import VIEW_KINDS
from dangjian.services.sms.models import Campaign, CampaignState, Message, MessageState


def campaigns(user) -> QuerySet:
    return Campaign.objects.for_user(user, kinds=VIEW_KINDS).select_related("unit", "created_by", "approved_by")


def awaiting_approval(user, kinds) -> QuerySet:
    return (
        Campaign.objects.for_user(user, kinds=kinds)
        .filter(state=CampaignState.AWAITING_APPROVAL)
        .exclude(created_by=user)
    )


@dataclass(frozen=True)
class CampaignStats:
    total: int
    by_state: dict[str, int]
    failures: list[tuple[str, int]]

    @property
    def sent(self) -> int:
        return self.total - self.by_state.get(MessageState.QUEUED, 0)


def campaign_stats(campaign: Campaign) -> CampaignStats:
    """Sent, delivered, failed (by reason) for one campaign: two grouped queries."""
    rows = Message.objects.filter(campaign=campaign).values("state").annotate(n=Count("id"))
    by_state = {r["state"]: r["n"] for r in rows}
    failures = (
        Message.objects.filter(campaign=campaign, state__in=[MessageState.FAILED, MessageState.EXPIRED])
        .values("error")
        .annotate(n=Count("id"))
        .order_by("-n")[:20]
    )
    return CampaignStats(sum(by_state.values()), by_state, [(f["error"] or "?", f["n"]) for f in failures])
