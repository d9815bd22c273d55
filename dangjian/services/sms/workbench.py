"""The SMS panel of the staff workbench: campaigns awaiting the user's approval, drafts, campaigns being sent."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.portal.workbench import Panel, WorkItem, register
from dangjian.services.sms import queries
from dangjian.services.sms.access import APPROVE_KINDS, VIEW_KINDS
from dangjian.services.sms.models import Campaign, CampaignState


@register
def sms_panels(user, scope: Scope) -> list[Panel]:
    if not scope.has_kind(*VIEW_KINDS):
        return []
    url = reverse("sms:campaign_list")
    mine = Campaign.objects.for_user(user, kinds=VIEW_KINDS).aggregate(  # both counts in one query
        drafts=Count("pk", filter=Q(state=CampaignState.DRAFT, created_by=user)),
        sending=Count("pk", filter=Q(state=CampaignState.SENDING)),
    )
    items = [
        WorkItem(
            _("SMS campaigns awaiting your approval"), queries.awaiting_approval(user, APPROVE_KINDS).count(), url
        ),
        WorkItem(_("SMS drafts"), mine["drafts"], url),
        WorkItem(_("SMS campaigns being sent"), mine["sending"], url),
    ]
    return [Panel(_("Bulk SMS"), items, order=60)]
