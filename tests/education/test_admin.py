"""The county's seasonal rules and the stations' profiles in the Django admin: each change audited, and the next
programme follows the rule."""

from __future__ import annotations

from django.utils import timezone

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.education import actions, queries, samples
from dangjian.education.models import Industry, Kind, SeasonRule


def test_a_seasonal_rule_entered_in_the_admin_is_audited_and_planned_for_its_industry(
    tree, add, make_user, verified_admin
):
    manager = make_user("manager", (RoleKind.STATION_MANAGER, tree["s1"]))
    station = actions.ensure_station(actor=None, unit=tree["s1"], manager=manager)
    orange = Industry.objects.get(slug="navel-orange")
    station.industries.set([orange])
    lecture = add("脐橙冬季清园讲座", samples.mp4(20 * 60), kind=Kind.VIDEO)
    sunday = queries.next_sunday(timezone.localdate())
    response = verified_admin.post(
        "/admin/education/seasonrule/add/",
        {"name": "脐橙冬季管护", "months": f"[{sunday.month}]", "industry": orange.pk, "resources": [lecture.pk],
         "priority": 50, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = SeasonRule.objects.get()
    assert AuditRecord.objects.filter(verb="education.season_rule.create", object_id=str(rule.pk)).exists()
    actions.build_programmes(sunday=sunday)
    assert [i.resource_id for i in station.programmes.get(sunday=sunday).items.all()] == [lecture.pk]


def test_a_stations_manager_is_changed_in_the_admin_with_an_audit_record(tree, make_user, verified_admin):
    station = actions.ensure_station(actor=None, unit=tree["s1"])
    manager = make_user("manager", (RoleKind.STATION_MANAGER, tree["s1"]))
    url = f"/admin/education/station/{station.pk}/change/"
    assert verified_admin.get("/admin/education/station/").status_code == 200
    response = verified_admin.post(
        url, {"manager": manager.pk, "equipment": "投影仪", "session_minutes": 90, "has_bandwidth": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    station.refresh_from_db()
    assert (station.manager, station.session_minutes) == (manager, 90)
    change = AuditRecord.objects.get(verb="education.station.change", object_id=str(station.pk))
    assert change.unit_id == tree["s1"].pk and change.after["session_minutes"] == "90"
    assert verified_admin.get("/admin/education/station/add/").status_code == 403
