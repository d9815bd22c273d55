"""The platform's figures: the organisation tree (public), notifications and audited actions (staff, scoped)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core import actions, outbox
from dangjian.core.models import Channel, NotificationState, RoleKind, UnitKind
from dangjian.core.permissions import scope_for
from dangjian.stats import registry
from dangjian.stats.registry import Period

pytestmark = pytest.mark.django_db
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31), "month")


def compute(key: str, period: Period, scope=None) -> list[dict[str, float]]:
    """Each named value list of the figure, as {label: value}, in the order the figure gives them."""
    series = registry.get(key).compute(period, scope)
    return [dict(zip(series.labels, values, strict=True)) for values in series.values.values()]


@pytest.fixture
def send(monkeypatch, settings):
    """Queue a message for a unit at a given UTC time and deliver it through the real outbox; SMS always fails."""
    settings.DANGJIAN_NOTIFICATION_MAX_ATTEMPTS = 1

    def refuse(n):
        raise outbox.DeliveryError("gateway down")

    monkeypatch.setitem(outbox.SENDERS, Channel.SMS, refuse)

    def send(unit, *, at: str, fail: bool = False) -> str:
        channel, address = (Channel.SMS, "13800000000") if fail else (Channel.EMAIL, "branch@example.org")
        with freeze_time(at):
            with transaction.atomic():
                n = outbox.queue_notification(channel=channel, body="通知", address=address, unit=unit, kind="test")
            return outbox.deliver(n.pk)

    return send


def test_units_by_kind_counts_the_active_units_of_the_county(tree):
    (counts,) = compute("platform.units_by_kind", MARCH)
    assert counts[UnitKind.TOWNSHIP.label] == 2
    assert counts[UnitKind.VILLAGE.label] == 2
    assert counts[UnitKind.STATION.label] == 2
    assert counts[UnitKind.DEPARTMENT.label] == 1
    assert UnitKind.COUNTY.label not in counts


def test_stations_per_township_counts_stations_below_each_township(tree):
    v3 = actions.create_unit(actor=None, code="V3", name="新村", kind=UnitKind.VILLAGE, parent=tree["t1"])
    actions.create_unit(actor=None, code="S3", name="新村站", kind=UnitKind.STATION, parent=v3)
    assert compute("platform.stations_per_township", MARCH) == [{"文武坝镇": 2, "筠门岭镇": 1}]


def test_stations_per_township_with_a_township_scope_shows_that_township_only(tree, make_user):
    user = make_user("t2admin", (RoleKind.ORG_ADMIN, tree["t2"]))
    assert compute("platform.stations_per_township", MARCH, scope_for(user)) == [{"筠门岭镇": 1}]


def test_notifications_are_counted_sent_and_failed_per_day_in_shanghai_time(tree, send):
    assert send(tree["t1"], at="2026-03-02 03:00:00") == NotificationState.SENT  # 11:00 on 2 March in Huichang
    send(tree["t1"], at="2026-03-02 15:59:00")  # 23:59 on 2 March
    assert send(tree["t1"], at="2026-03-02 16:01:00", fail=True) == NotificationState.FAILED  # 00:01 on 3 March
    send(tree["t1"], at="2026-02-28 16:30:00")  # 00:30 on 1 March
    sent, failed = compute("platform.notifications_per_day", Period(date(2026, 3, 1), date(2026, 3, 4), "day"))
    assert sent == {"2026-03-01": 1, "2026-03-02": 2, "2026-03-03": 0, "2026-03-04": 0}
    assert failed == {"2026-03-01": 0, "2026-03-02": 0, "2026-03-03": 1, "2026-03-04": 0}


def test_notifications_per_day_is_limited_to_the_viewers_units(tree, make_user, send):
    send(tree["s1"], at="2026-03-10 02:00:00", fail=True)
    send(tree["t2"], at="2026-03-10 02:00:00")
    send(tree["t2"], at="2026-03-11 02:00:00")
    township = make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"]))
    assert compute("platform.notifications_per_day", MARCH, scope_for(township)) == [{"2026-03": 0}, {"2026-03": 1}]
    county = make_user("countyadmin", (RoleKind.ORG_ADMIN, tree["county"]))
    assert compute("platform.notifications_per_day", MARCH, scope_for(county)) == [{"2026-03": 2}, {"2026-03": 1}]


def test_audit_actions_are_counted_per_bucket_for_the_viewers_units(tree, make_user):
    township = make_user("t1sec", (RoleKind.BRANCH_SECRETARY, tree["t1"]))
    today = timezone.localdate()
    (counts,) = compute("platform.audit_actions_per_day", Period(today, today, "day"), scope_for(township))
    # Three units created under t1 (t1, its village, its station) and the secretary's role at t1.
    assert counts == {today.isoformat(): 4}
