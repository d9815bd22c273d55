"""Learning records: study time credited only for real activity (heartbeats), points with daily caps, the member's
record and certificate, leaderboards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import RoleKind
from dangjian.education import learning
from dangjian.education.models import Resource, StudyRecord


@pytest.fixture
def member(tree, make_user):
    return make_user("learner", (RoleKind.MEMBER, tree["v1"]))


def _beats(user, resource, start, every, count, seconds=30):
    return [
        learning.record_heartbeat(
            user=user, resource=resource, seconds=seconds, now=start + timedelta(seconds=i * every)
        )
        for i in range(count)
    ]


def test_time_is_credited_only_between_real_heartbeats(member, add):
    doc = add()
    start = timezone.now().replace(hour=4)
    assert _beats(member, doc, start, 30, 5) == [0, 30, 30, 30, 30]
    doc.refresh_from_db()
    assert doc.study_seconds == 120 and StudyRecord.objects.get().seconds == 120


def test_an_open_tab_without_heartbeats_earns_nothing_and_claims_are_capped(member, add):
    doc = add()
    start = timezone.now().replace(hour=4)
    learning.record_heartbeat(user=member, resource=doc, seconds=0, now=start)
    # The page went to the background for an hour: the next beat only restarts the clock.
    assert learning.record_heartbeat(user=member, resource=doc, seconds=3600, now=start + timedelta(hours=1)) == 0
    # A forged beat claiming more than the time since the last one gets only the real time.
    assert (
        learning.record_heartbeat(user=member, resource=doc, seconds=600, now=start + timedelta(hours=1, seconds=10))
        == 10
    )
    assert (
        learning.record_heartbeat(user=member, resource=doc, seconds=-50, now=start + timedelta(hours=1, seconds=40))
        == 0
    )
    assert StudyRecord.objects.get().seconds == 10


def test_points_follow_the_rules_with_daily_caps(settings):
    assert learning.points(seconds=10 * 60, items=2) == 2 + 2
    assert learning.points(seconds=5 * 3600, items=40) == 6 + 6
    settings.DANGJIAN_EDUCATION_POINTS = {"item": {"points": 2, "cap": 10}}
    assert learning.points(seconds=0, items=40) == 10


def test_a_member_sees_their_record_and_certificate(client, member, add):
    doc = add()
    _beats(member, doc, timezone.now() - timedelta(minutes=10), 30, 21)
    client.force_login(member)
    page = client.get(reverse("education:record")).content.decode()
    year = timezone.localdate().year
    assert str(year) in page and "0.2" in page
    assert client.get(reverse("education:certificate")).status_code == 200
    assert learning.year(member, year).points == 1 + 2


def test_the_heartbeat_needs_a_login_and_a_visible_resource(client, member, add):
    doc = add()
    url = reverse("education:heartbeat", args=[doc.pk])
    assert client.post(url, {"seconds": 30}).status_code == 403
    client.force_login(member)
    assert client.post(url, {"seconds": "lots"}).status_code == 400
    assert client.post(url, {"seconds": 0}).json() == {"credited": 0}
    assert client.post(reverse("education:heartbeat", args=[doc.pk + 999]), {"seconds": 30}).status_code == 404
    assert not Resource.objects.filter(study_seconds__gt=0).exists()


def test_leaderboard_ranks_the_members_of_a_township(tree, member, make_user, add):
    doc = add()
    other = make_user("other", (RoleKind.MEMBER, tree["v2"]))
    start = timezone.now() - timedelta(minutes=30)
    _beats(member, doc, start, 30, 3)
    _beats(other, doc, start, 30, 6)
    from dangjian.core.models import User

    township = User.objects.filter(roles__unit__path__startswith=tree["t1"].path)
    assert learning.leaderboard(township, timezone.localdate().year) == [(member, 60)]
    everyone = User.objects.all()
    assert learning.leaderboard(everyone, timezone.localdate().year) == [(other, 150), (member, 60)]
