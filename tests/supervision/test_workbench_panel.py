"""The supervision panel of the workbench: its counts are the lengths of the queue tabs its links open."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.permissions import scope_for
from dangjian.supervision import queries
from dangjian.supervision.workbench import supervision_panels

TABS = {"Letters waiting for you": "waiting", "Letters due soon": "due", "Late letters": "late"}


def _counts(user) -> dict[str, int]:
    (panel,) = supervision_panels(user, scope_for(user))
    return {TABS[str(i.label)]: i.count for i in panel.items if str(i.label) in TABS}


def test_each_count_is_its_queue_tab_for_every_role(people, dispatched, write, settings):
    settings.LANGUAGE_CODE = "en"
    dispatched()
    dispatched()  # two letters at the first township, received in 2025: late
    write(received_at=timezone.now())  # waiting for the office to dispatch it
    write(received_at=timezone.now() - timedelta(days=3))  # its first follow-up falls due around now
    expected_office = {"waiting": 2, "late": 2}
    for name in ("office", "leader", "responder", "head", "other"):
        user = people[name]
        counts = _counts(user)
        assert counts == {tab: queries.queue(user, tab).count() for tab in TABS.values()}, name
    assert {k: _counts(people["office"])[k] for k in expected_office} == expected_office
    assert _counts(people["responder"])["waiting"] == 2 and _counts(people["other"]) == dict.fromkeys(TABS.values(), 0)
    assert _counts(people["leader"])["waiting"] == 0  # a leader reads; nothing waits for them to act


def test_the_counts_are_one_query(people, dispatched):
    dispatched()
    user = people["office"]
    scope = scope_for(user)
    with CaptureQueriesContext(connection) as letters:
        supervision_panels(user, scope)
    # One for the three counts over letters, one for the extension requests the office decides.
    assert len(letters.captured_queries) == 2
    assert letters.captured_queries[0]["sql"].count("COUNT(") == 3
