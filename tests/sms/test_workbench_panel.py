"""The SMS panel of the workbench: the user's own drafts, campaigns awaiting their approval, campaigns being sent."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.models import RoleKind
from dangjian.core.permissions import scope_for
from dangjian.services.sms import actions
from dangjian.services.sms.models import Campaign, CampaignState
from dangjian.services.sms.workbench import sms_panels
from tests.sms.conftest import add_people, campaign


def _draft(actor, branches) -> Campaign:
    return actions.compose_campaign(
        actor=actor, unit=branches["county"], title="草稿", body="通知草稿。", audience={"unit": branches["county"].pk},
        mandatory=True, gateway="smpp",
    )  # fmt: skip


def test_drafts_are_the_users_own_and_sending_counts_every_campaign_in_scope(secretary, branches, make_user):
    colleague = make_user("sec2", (RoleKind.ORG_ADMIN, branches["county"]))
    add_people(branches["b1"], 3)
    _draft(secretary, branches), _draft(secretary, branches), _draft(colleague, branches)
    campaign(secretary, branches)
    campaign(colleague, branches)
    with CaptureQueriesContext(connection) as asked:
        (panel,) = sms_panels(secretary, scope_for(secretary))
    counts = {str(i.label): i.count for i in panel.items}
    assert counts["SMS drafts"] == 2
    sending = Campaign.objects.filter(state=CampaignState.SENDING).count()
    assert counts["SMS campaigns being sent"] == sending
    awaiting = Campaign.objects.filter(state=CampaignState.AWAITING_APPROVAL).exclude(created_by=secretary).count()
    assert counts["SMS campaigns awaiting your approval"] == awaiting
    assert len(asked.captured_queries) == 2  # the approvals, then drafts and sending in one query
