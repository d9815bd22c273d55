"""Django admin for the core, scoped by the same permission layer as every other door."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from dangjian.core import actions, audit, calendar
from dangjian.core.forms import UnitAdminForm
from dangjian.core.models import AuditRecord, CalendarDay, CalendarYear, Notification, Role, Unit, User
from dangjian.core.permissions import ScopedAdminMixin


class AuditedAdminMixin:
    """Django admin: every save and deletion leaves its audit record (the changed fields, before and after).

    For models whose changes are plain edits of settings (a channel's deadlines, a seasonal rule); a change with
    consequences beyond its row goes through its action instead, as the unit admin does."""

    audit_verb: str = ""  # e.g. "channel": records channel.create / channel.change / channel.delete

    def _unit_of(self, obj):
        field = getattr(obj, "unit_field", None)
        if not field:
            return None
        target = obj
        for part in field.split("__"):
            target = getattr(target, part, None)
        return target

    def save_model(self, request, obj, form, change):
        before = {f: str(form.initial.get(f)) for f in form.changed_data} if change else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        after = {f: str(form.cleaned_data.get(f)) for f in form.changed_data}
        verb = f"{self.audit_verb}.{'change' if change else 'create'}"
        audit.record(actor=request.user, verb=verb, obj=obj, unit=self._unit_of(obj), before=before, after=after)

    def delete_model(self, request, obj):
        unit, label = self._unit_of(obj), str(obj)
        audit.record(actor=request.user, verb=f"{self.audit_verb}.delete", obj=obj, unit=unit, before={"str": label})
        super().delete_model(request, obj)  # type: ignore[misc]


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A new unit goes through `actions.create_unit` (its path); parent and kind are fixed once it exists, because
    a move would have to rewrite the paths of its whole subtree. Units are deactivated, never deleted."""

    form = UnitAdminForm
    list_display = ["name", "code", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        return ["path", "kind", "parent"] if obj is not None else ["path"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and not request.user.is_superuser:
            form.base_fields["parent"].required = True  # a root would lie outside every scope but the superuser's
        return form

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            before = {f: form.initial.get(f) for f in form.changed_data}
            super().save_model(request, obj, form, change)
            after = {f: form.cleaned_data.get(f) for f in form.changed_data}
            audit.record(actor=request.user, verb="unit.change", obj=obj, unit=obj, before=before, after=after)
            return
        unit = actions.create_unit(actor=request.user, code=obj.code, name=obj.name, kind=obj.kind, parent=obj.parent)
        obj.pk, obj.path = unit.pk, unit.path
        obj.save(update_fields=["is_active", "email", "phone"])


class RoleInline(ScopedAdminMixin, admin.TabularInline):
    """A user's roles within the staff user's units; existing roles are read-only (revoke and assign instead)."""

    model = Role
    extra = 0
    raw_id_fields = ["unit"]
    fields = ["kind", "unit"]

    def has_change_permission(self, request, obj=None):
        return False


def _save_roles(request, roles: list[Role], deleted: list[Role]) -> None:
    for role in deleted:
        actions.revoke_role(actor=request.user, role=role)
    for role in roles:
        if role.pk is None:
            role.pk = actions.assign_role(actor=request.user, user=role.user, unit=role.unit, kind=role.kind).pk


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "display_name", "is_staff", "is_superuser", "is_demo", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_demo", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Dangjian"), {"fields": ["display_name", "mobile", "is_demo"]}))

    def save_formset(self, request, form, formset, change):
        if formset.model is not Role:
            return super().save_formset(request, form, formset, change)
        roles = formset.save(commit=False)
        _save_roles(request, roles, formset.deleted_objects)
        return None


@admin.register(Role)
class RoleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Roles are assigned and revoked through the actions (with their audit records), never edited in place."""

    list_display = ["user", "kind", "unit", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]
    fields = ["user", "unit", "kind"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "unit", "kind"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if obj.pk is None:
            _save_roles(request, [obj], [])

    def delete_model(self, request, obj):
        _save_roles(request, [], [obj])

    def delete_queryset(self, request, queryset):
        _save_roles(request, [], list(queryset.select_related("unit")))


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
    list_select_related = ["unit"]
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
        calendar.arrangement_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar.arrangement_changed()
