"""The Sunday class (星期日课堂): requests (点播), the programme builder, publishing, the offline package, reports and
the monthly report card, through the real actions and the staff pages."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Notification, RoleKind
from dangjian.education import actions, package, programme, queries, samples
from dangjian.education.models import (
    Access,
    ClassReport,
    CountyItem,
    Industry,
    ItemReason,
    Kind,
    PlayRequest,
    ProgrammeState,
    ReportSource,
    RequestState,
    SeasonRule,
)
from tests.core.otp import login_verified

SUNDAY = queries.next_sunday(timezone.localdate())


@pytest.fixture
def manager(tree, make_user):
    return make_user("manager", (RoleKind.STATION_MANAGER, tree["s1"]))


@pytest.fixture
def member(tree, make_user):
    return make_user("villager", (RoleKind.MEMBER, tree["v1"]))


@pytest.fixture
def station(tree, manager, member):
    st = actions.ensure_station(actor=None, unit=tree["s1"], manager=manager)
    st.members.add(member)
    actions.update_station(
        actor=manager, station=st, equipment="卫星接收器", session_minutes=60,
        industries=Industry.objects.filter(slug="navel-orange"),
    )  # fmt: skip
    return st


@pytest.fixture
def video(add):
    def make(title: str, minutes: int, **kwargs):
        return add(title, samples.mp4(minutes * 60), kind=Kind.VIDEO, **kwargs)

    return make


@pytest.fixture
def staff_client(client):
    def login(user):
        login_verified(client, user)
        return client

    return login


def _programme(station):
    actions.build_programmes(sunday=SUNDAY, stations=type(station).objects.filter(pk=station.pk))
    return station.programmes.get(sunday=SUNDAY)


def test_a_request_made_this_week_is_in_next_sundays_programme(station, member, video):
    video("通用讲座", 20)
    wanted = video("脐橙黄龙病防治", 30)
    req = actions.request_play(station=station, resource=wanted, user=member)
    prog = _programme(station)
    items = list(prog.items.order_by("order"))
    assert (items[0].resource_id, items[0].reason) == (wanted.pk, ItemReason.REQUEST)
    assert sum(i.minutes for i in items) <= station.session_minutes
    req.refresh_from_db()
    assert req.state == RequestState.SCHEDULED and req.item.programme == prog


def test_a_request_by_sms_reaches_the_station_and_is_in_next_sundays_programme(station, video):
    from dangjian.services.sms.actions import receive_inbound
    from dangjian.services.sms.models import Inbound, InboundKind

    lecture = video("脐橙黄龙病防治讲座", 20)
    receive_inbound(mobile="13907970001", text=f"点播 {station.unit.code.lower()} 黄龙病", gateway="smpp")
    req = PlayRequest.objects.get()
    assert (req.station, req.resource, req.channel, req.phone) == (station, lecture, "sms", "13907970001")
    assert Inbound.objects.get().kind == InboundKind.REQUEST
    reply = Notification.objects.get(kind="education.request")
    assert reply.address == "13907970001" and lecture.title in reply.body
    assert [i.resource_id for i in _programme(station).items.all()] == [lecture.pk]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("点播", "点播 3607330101S 黄龙病"),
        ("点播 NOSUCH 黄龙病", "NOSUCH"),
        ("点播 {code} 不存在的节目", "不存在的节目"),
    ],
)
def test_an_sms_request_that_cannot_be_taken_is_answered_with_the_reason_and_stores_no_request(
    station, video, text, reason
):
    from dangjian.services.sms.actions import receive_inbound
    from dangjian.services.sms.models import Inbound

    video("脐橙黄龙病防治讲座", 20)
    receive_inbound(mobile="13907970001", text=text.format(code=station.unit.code), gateway="smpp")
    assert not PlayRequest.objects.exists()
    assert Inbound.objects.count() == 1  # kept as it came, for the station manager to read
    refused = Notification.objects.get(kind="education.request.refused")
    assert refused.address == "13907970001" and reason in refused.body


def test_county_items_come_first_then_requests_then_the_season_and_local_industry(station, member, video, topic):
    policy = video("中央一号文件解读", 15)
    requested = video("农村电商", 15, topics=[topic])
    orange = video("脐橙冬季管护", 15)
    video("热门电影", 15)
    CountyItem.objects.create(resource=policy, start=SUNDAY - timedelta(days=3), end=SUNDAY)
    rule = SeasonRule.objects.create(name="脐橙冬季管护", months=[SUNDAY.month],
                                     industry=Industry.objects.get(slug="navel-orange"))  # fmt: skip
    rule.resources.add(orange)
    actions.request_play(station=station, topic=topic, user=member)
    reasons = [(i.resource_id, i.reason) for i in _programme(station).items.order_by("order")]
    assert reasons[:3] == [
        (policy.pk, ItemReason.COUNTY), (requested.pk, ItemReason.REQUEST), (orange.pk, ItemReason.INDUSTRY)
    ]  # fmt: skip


def test_what_the_station_played_recently_is_not_planned_again(station, manager, video):
    old = video("上周放过的", 20)
    other = video("没放过的", 20)
    actions.submit_report(actor=manager, station=station, held_on=SUNDAY - timedelta(days=7), minutes=60,
                          attendance=12, played=[(old, 20)])  # fmt: skip
    planned = set(_programme(station).items.values_list("resource_id", flat=True))
    assert other.pk in planned and old.pk not in planned


def test_the_builder_never_exceeds_the_session_length():
    cat = programme.Catalogue(minutes={1: 50, 2: 40, 3: 30, 4: 10}, fill=[1, 2, 3, 4], county=[2])
    plan = programme.build(programme.Station(1, 60), cat, 11)
    assert [p.resource_id for p in plan] == [2, 4] and sum(p.minutes for p in plan) <= 60


def test_only_library_content_open_to_everyone_can_be_requested(station, member, video):
    closed = video("党员内部学习", 20, access=Access.MEMBERS)
    with pytest.raises(ValidationError):
        actions.request_play(station=station, resource=closed, user=member)
    with pytest.raises(ValidationError):
        actions.request_play(station=station, resource=video("公开讲座", 20), name=" ")
    assert not PlayRequest.objects.exists()


def test_publishing_tells_the_members_and_freezes_the_programme(station, manager, member, video):
    video("讲座", 20)
    prog = _programme(station)
    actions.publish_programme(actor=manager, programme_=prog)
    assert Notification.objects.filter(recipient=member, kind="education.programme").count() == 1
    with pytest.raises(ValidationError):
        actions.add_programme_item(actor=manager, programme_=prog, resource=video("另一个", 5))
    assert actions.build_programmes(sunday=SUNDAY, rebuild=True) == 0
    prog.refresh_from_db()
    assert prog.state == ProgrammeState.PUBLISHED


def test_another_stations_manager_cannot_change_the_programme(tree, station, make_user, video):
    video("讲座", 20)
    prog = _programme(station)
    stranger = make_user("other", (RoleKind.STATION_MANAGER, tree["s2"]))
    with pytest.raises(PermissionDenied):
        actions.publish_programme(actor=stranger, programme_=prog)


def test_offline_package_has_checksums_and_its_report_comes_back(station, manager, member, video):
    req = actions.request_play(station=station, resource=video("脐橙施肥", 20), user=member)
    prog = _programme(station)
    data = package.build(prog).read()
    assert package.verify(io.BytesIO(data)) == []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
        report = json.loads(z.read("report.json"))
    assert all(len(i["sha256"]) == 64 for i in manifest["items"])
    damaged = data.replace(samples.mp4(20 * 60)[-16:], b"x" * 16, 1)
    assert package.verify(io.BytesIO(damaged)) != []
    report.update(held_on=(SUNDAY - timedelta(days=7)).isoformat(), attendance=25, members_checked_in=["villager"])
    done = actions.submit_report_file(actor=manager, station=station, data=json.dumps(report).encode())
    assert done.source == ReportSource.FILE and done.attendance == 25 and list(done.attendees.all()) == [member]
    req.refresh_from_db()
    assert req.state == RequestState.PLAYED


@pytest.mark.parametrize(
    "change", [{"station": "S2"}, {"format": "other"}, {"attendance": "many"}, {"members_checked_in": ["nobody"]}]
)
def test_a_bad_report_file_is_refused_and_nothing_is_stored(station, manager, video, change):
    video("讲座", 20)
    report = package.report_template(_programme(station))
    report.update(held_on=(SUNDAY - timedelta(days=7)).isoformat(), **change)
    with pytest.raises(ValidationError):
        actions.submit_report_file(actor=manager, station=station, data=json.dumps(report).encode())
    assert not ClassReport.objects.exists()


def test_report_card_flags_stations_below_the_monthly_minimum(tree, station, manager, video, make_user):
    item = video("讲座", 20)
    month = date(2026, 10, 1)
    for day, minutes in ((4, 600), (11, 660)):
        actions.submit_report(actor=manager, station=station, held_on=month.replace(day=day), minutes=minutes,
                              attendance=20, played=[(item, 20)])  # fmt: skip
    actions.ensure_station(actor=None, unit=tree["s2"])
    head = make_user("head", (RoleKind.ORG_ADMIN, tree["county"]))
    card = queries.report_card(head, month)
    rows = {r.station_pk: r for r in card.stations}
    assert rows[station.pk].sessions == 2 and rows[station.pk].hours == 21.0 and not rows[station.pk].flagged
    assert [r.flagged for r in rows.values()].count(True) == 1
    assert card.county.stations == 2 and card.county.below == 1 and card.county.attendance == 40
    assert {t.name: t.below for t in card.townships} == {"文武坝镇": 0, "筠门岭镇": 1}


def test_a_member_requests_through_the_web_form(client, station, video):
    item = video("油茶种植", 20)
    url = reverse("education:request") + f"?resource={item.pk}"
    assert client.get(url).status_code == 200
    response = client.post(reverse("education:request"), {"resource": item.pk, "station": station.pk, "name": "张三"})
    assert response.status_code == 302
    assert PlayRequest.objects.get().name == "张三"
    response = client.post(reverse("education:request"), {"station": station.pk, "name": "李四"}, follow=True)
    assert response.status_code == 200 and PlayRequest.objects.count() == 1


def test_the_manager_plans_publishes_downloads_and_reports_through_the_pages(
    staff_client, station, manager, member, video, django_assert_max_num_queries
):
    wanted = video("脐橙冬季管护讲座", 30)
    actions.request_play(station=station, resource=wanted, user=member)
    c = staff_client(manager)
    assert c.get(reverse("education_work:index")).status_code == 200
    assert c.get(reverse("education_work:station", args=[station.pk])).status_code == 200
    response = c.post(reverse("education_work:build", args=[station.pk]))
    prog = station.programmes.get(sunday=SUNDAY)
    assert response["Location"] == reverse("education_work:programme", args=[prog.pk])
    with django_assert_max_num_queries(20):
        page = c.get(reverse("education_work:programme", args=[prog.pk]))
    assert wanted.title in page.content.decode()
    c.post(reverse("education_work:programme", args=[prog.pk]), {"op": "publish"})
    prog.refresh_from_db()
    assert prog.state == ProgrammeState.PUBLISHED
    assert c.get(reverse("education_work:programme_print", args=[prog.pk])).status_code == 200
    assert "脐橙" in c.get(reverse("education_work:programme_text", args=[prog.pk])).content.decode()
    zipped = b"".join(c.get(reverse("education_work:programme_package", args=[prog.pk])).streaming_content)
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        report = json.loads(z.read("report.json"))
    report.update(held_on=(SUNDAY - timedelta(days=7)).isoformat(), attendance=18)
    upload = io.BytesIO(json.dumps(report).encode())
    upload.name = "report.json"
    response = c.post(reverse("education_work:report", args=[station.pk]), {"op": "file", "file": upload})
    assert response.status_code == 302 and ClassReport.objects.get().attendance == 18
    assert c.get(reverse("education_work:reports", args=[station.pk])).status_code == 200
    card = c.get(reverse("education_work:report_card") + f"?month={SUNDAY - timedelta(days=7):%Y-%m}")
    assert station.name in card.content.decode()


def test_the_overview_pages_are_for_staff_and_a_member_keeps_their_own_record(
    client, staff_client, station, manager, member
):
    """Stations, report card and leaderboard are staff pages (403 to a plain member); the member's record is under
    /education/me/."""
    client.force_login(member)
    for name in ("index", "report_card", "leaderboard"):
        assert client.get(reverse(f"education_work:{name}")).status_code == 403, name
    assert client.get(reverse("education:record")).status_code == 200
    c = staff_client(manager)
    for name in ("index", "report_card", "leaderboard"):
        assert c.get(reverse(f"education_work:{name}")).status_code == 200, name


def test_a_manager_sees_only_their_own_station(tree, staff_client, station, make_user):
    other = actions.ensure_station(actor=None, unit=tree["s2"])
    c = staff_client(make_user("m2", (RoleKind.STATION_MANAGER, tree["s2"])))
    assert c.get(reverse("education_work:station", args=[station.pk])).status_code == 404
    assert c.get(reverse("education_work:station", args=[other.pk])).status_code == 200


def test_classes_and_requests_are_registered_figures_counted_per_month(
    tree, station, manager, member, video, make_user
):
    from dangjian.core.permissions import scope_for
    from dangjian.stats.registry import Period, get

    item = video("讲座", 20)
    actions.request_play(station=station, resource=item, user=member)
    actions.submit_report(actor=manager, station=station, held_on=date(2026, 10, 4), minutes=90, attendance=30,
                          played=[(item, 20)])  # fmt: skip
    period = Period(date(2026, 9, 1), date(2026, 10, 31), "month")
    classes = get("education.sunday_classes")
    assert classes.public and classes.supermarket == "education"
    assert list(classes.compute(period, None).values.values()) == [[0, 1], [0, 30]]
    elsewhere = scope_for(make_user("m2", (RoleKind.STATION_MANAGER, tree["s2"])))
    assert list(classes.compute(period, elsewhere).values.values()) == [[0, 0], [0, 0]]
    now = Period(timezone.localdate().replace(day=1), timezone.localdate(), "month")
    by_channel = get("education.requests").compute(now, scope_for(manager)).values
    assert [sum(v) for v in by_channel.values()] == [1, 0]
    assert [sum(v) for v in get("education.requests").compute(now, elsewhere).values.values()] == [0, 0]
