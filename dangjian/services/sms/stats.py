"""The SMS platform's figures for /work/stats/ (staff): campaigns per period, and messages delivered and failed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.services.sms.access import VIEW_KINDS
from dangjian.services.sms.models import Campaign, Message, MessageState
from dangjian.stats.queries import bucket_counts, bucket_counts_by, scoped
from dangjian.stats.registry import Period, Series, register


@register(
    key="services.sms_campaigns",
    title=_("SMS campaigns sent"),
    supermarket="services",
    public=False,
    chart="bar",
    unit=_("campaigns"),
)
def sms_campaigns(period: Period, scope: Scope | None) -> Series:
    """Campaigns by the time they were queued (the seed counts 70+ since 2009: view it by year)."""
    counts = bucket_counts(
        scoped(Campaign.objects.filter(queued_at__isnull=False), scope, VIEW_KINDS), "queued_at", period
    )
    return Series(labels=[period.label(b) for b in period.buckets()], values={_("Campaigns"): counts})


@register(
    key="services.sms_messages",
    title=_("SMS messages delivered and failed"),
    supermarket="services",
    public=False,
    chart="line",
    unit=_("messages"),
)
def sms_messages(period: Period, scope: Scope | None) -> Series:
    by_state = bucket_counts_by(scoped(Message.objects.all(), scope, VIEW_KINDS), "queued_at", period, "state")
    zeros = [0] * period.bucket_count()
    return Series(
        labels=[period.label(b) for b in period.buckets()],
        values={
            _("Delivered"): by_state.get(MessageState.DELIVERED.value, zeros),
            _("Failed"): [
                a + b
                for a, b in zip(
                    by_state.get(MessageState.FAILED.value, zeros),
                    by_state.get(MessageState.EXPIRED.value, zeros),
                    strict=True,
                )
            ],
        },
    )
