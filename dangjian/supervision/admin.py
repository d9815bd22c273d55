"""Django admin of the supervision supermarket: the channels (书记信箱, 县长信箱, …), scoped like every other door.

Letters are not edited here: every move of a letter is an act of the workbench (actions.py) with its history line.
"""

from __future__ import annotations

from django.contrib import admin

from dangjian.core.admin import AuditedAdminMixin
from dangjian.core.permissions import ScopedAdminMixin
from dangjian.supervision.models import Channel

EDITABLE = [
    "name", "addressee", "description", "email", "unit", "first_response_days", "result_days", "working_days",
    "is_published", "accepts_anonymous", "is_active", "position",
]  # fmt: skip


@admin.register(Channel)
class ChannelAdmin(AuditedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """A channel's addressee, address, deadlines and publication rules; its code is fixed once letters use it.
    Channels are deactivated, never deleted (their letters keep them)."""

    audit_verb = "channel"
    fields = ["code", *EDITABLE]
    list_display = ["name", "code", "unit", "first_response_days", "result_days", "is_published", "is_active"]
    list_filter = ["is_active", "is_published", "accepts_anonymous"]
    search_fields = ["name", "code", "addressee"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False
