"""Django admin for the core, scoped by the same permission layer as every other door."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from dangjian.core import calendar
from dangjian.core.models import AuditRecord, CalendarDay, CalendarYear, Notification, Role, Unit, User
from dangjian.core.permissions import ScopedAdminMixin


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "display_name", "is_staff", "is_superuser", "is_demo", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_demo", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Dangjian"), {"fields": ["display_name", "mobile", "is_demo"]}))


@admin.register(Role)
class RoleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "kind", "unit", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["seq", "at", "actor_name", "role", "unit", "verb", "object_repr"]
    list_filter = ["verb"]
    search_fields = ["object_repr", "actor_name", "object_id"]


@admin.register(Notification)
class NotificationAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["created_at", "channel", "address", "subject", "state", "attempts", "sent_at"]
    list_filter = ["channel", "state"]
    search_fields = ["address", "subject"]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 10


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "created_at"]
    inlines = [CalendarDayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar.clear_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar.clear_cache()
