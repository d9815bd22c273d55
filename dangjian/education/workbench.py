"""The education supermarket's workbench panels: a station's programme and report, the township's weak stations,
the special tests open in the user's units."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import RoleKind
from dangjian.core.permissions import STAFF_KINDS
from dangjian.education import queries
from dangjian.education.models import (
    ClassReport,
    PlayRequest,
    Programme,
    ProgrammeState,
    QuizKind,
    RequestState,
    Station,
)
from dangjian.portal.workbench import DUE, LATE, WAITING, Panel, WorkItem, register

#: Roles above the stations that watch their monthly minimum (the township and the county).
OVERSIGHT_ROLES = (RoleKind.UNIT_HEAD, RoleKind.RESPONDER, RoleKind.ORG_ADMIN, RoleKind.COUNTY_LEADER)


@register
def education_panel(user, scope):
    items = []
    today = timezone.localdate()
    if scope.has_kind(RoleKind.STATION_MANAGER) and not scope.unrestricted:
        stations = Station.objects.for_user(user, kinds=[RoleKind.STATION_MANAGER])
        sunday = queries.next_sunday(today)
        drafts = Programme.objects.filter(station__in=stations, sunday=sunday, state=ProgrammeState.DRAFT).count()
        items.append(WorkItem(_("Programmes for next Sunday to publish"), drafts, reverse("education_work:index"), DUE))
        pending = PlayRequest.objects.filter(station__in=stations, state=RequestState.PENDING).count()
        items.append(WorkItem(_("Requests waiting for a programme"), pending, reverse("education_work:index"), WAITING))
        last_sunday = sunday - timedelta(days=7)
        missing = stations.exclude(pk__in=ClassReport.objects.filter(held_on=last_sunday).values("station_id")).count()
        items.append(WorkItem(_("Last Sunday's class not reported"), missing, reverse("education_work:index"), LATE))
    if scope.has_kind(*OVERSIGHT_ROLES):
        last_month = today.replace(day=1) - timedelta(days=1)
        card = queries.report_card(user, last_month, kinds=OVERSIGHT_ROLES)
        url = reverse("education_work:report_card") + f"?month={last_month:%Y-%m}"
        items.append(WorkItem(_("Stations below the monthly minimum last month"), card.county.below, url, LATE))
    if scope.has_kind(*STAFF_KINDS):
        now = timezone.now()
        tests = queries.staff_quizzes(user).filter(
            kind=QuizKind.TEST, is_published=True, opens_at__lte=now, closes_at__gt=now
        )
        items.append(WorkItem(_("Special tests open"), tests.count(), reverse("education_work:quizzes"), WAITING))
    return [Panel(_("Distance education"), items, order=40)] if items else []
