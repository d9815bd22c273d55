"""Django admin of the education supermarket: the county's seasonal rules and county-wide items, and the stations'
profiles (manager, members attached), scoped like every other door. The library is added to through the editors'
upload (actions.add_resource), which sniffs and checks every file, and Sunday programmes on the workbench."""

from __future__ import annotations

from django.contrib import admin

from dangjian.core.admin import AuditedAdminMixin
from dangjian.core.permissions import ScopedAdminMixin
from dangjian.education.models import CountyItem, SeasonRule, Station


@admin.register(SeasonRule)
class SeasonRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_verb = "education.season_rule"
    list_display = ["name", "months", "industry", "priority", "is_active"]
    list_filter = ["is_active", "industry"]
    filter_horizontal = ["resources"]


@admin.register(CountyItem)
class CountyItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_verb = "education.county_item"
    list_display = ["resource", "start", "end", "note"]
    raw_id_fields = ["resource"]
    date_hierarchy = "start"


@admin.register(Station)
class StationAdmin(AuditedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """A station's profile; the station unit itself is made in the organisation tree and fixed here."""

    audit_verb = "education.station"
    list_display = ["unit", "manager", "session_minutes", "has_bandwidth"]
    list_select_related = ["unit", "manager"]
    search_fields = ["unit__name", "unit__code"]
    raw_id_fields = ["unit", "manager", "members"]
    filter_horizontal = ["industries"]

    def get_readonly_fields(self, request, obj=None):
        return ["unit"] if obj is not None else []

    def has_add_permission(self, request):
        return False  # a station unit gets its profile through actions.ensure_station

    def has_delete_permission(self, request, obj=None):
        return False
