"""Django admin of the education supermarket: the county's seasonal rules and county-wide items, the stations'
profiles (manager, members attached), and the question banks, questions and quizzes, scoped like every other door.
The library is added to through the editors' upload (actions.add_resource), which sniffs and checks every file, and
Sunday programmes on the workbench. Members' attempts are never edited here: they are graded by the actions."""

from __future__ import annotations

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from dangjian.core import audit
from dangjian.core.admin import AuditedAdminMixin
from dangjian.core.permissions import ScopedAdminMixin
from dangjian.education import quiz
from dangjian.education.models import CountyItem, Option, Question, QuestionBank, Quiz, SeasonRule, Station


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


@admin.register(QuestionBank)
class QuestionBankAdmin(AuditedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    audit_verb = "education.bank"
    list_display = ["name", "topic", "category", "unit", "created_at"]
    list_select_related = ["topic", "category", "unit"]
    list_filter = ["topic"]
    search_fields = ["name"]
    raw_id_fields = ["unit"]
    readonly_fields = ["created_at"]


class OptionFormSet(BaseInlineFormSet):
    """The options as a whole follow the rule of the question's kind (quiz.check_options), as in the actions."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        kind = self.instance.kind
        quiz.check_options(kind, [(d.get("text", ""), bool(d.get("is_correct"))) for d in kept])


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    extra = 4
    max_num = quiz.MAX_OPTIONS
    fields = ["order", "text", "is_correct"]


@admin.register(Question)
class QuestionAdmin(AuditedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """A question and its options; a question already answered in attempts is made inactive rather than deleted
    (its results keep it)."""

    audit_verb = "education.question"
    inlines = [OptionInline]
    list_display = ["text", "kind", "bank", "is_active"]
    list_select_related = ["bank"]
    list_filter = ["kind", "is_active", "bank"]
    search_fields = ["text"]
    readonly_fields = ["created_at"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(fs.has_changed() for fs in formsets):
            options = [[o.text, o.is_correct] for o in form.instance.options.order_by("order")]
            audit.record(actor=request.user, verb="education.question.options", obj=form.instance,
                         unit=form.instance.bank.unit, after={"options": options})  # fmt: skip


@admin.register(Quiz)
class QuizAdmin(AuditedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Daily quizzes and special tests: their banks, number of questions, pass mark, time limit, attempts and window
    (the rules are database constraints, shown as form errors here)."""

    audit_verb = "education.quiz"
    list_display = ["title", "kind", "unit", "question_count", "opens_at", "closes_at", "is_published"]
    list_select_related = ["unit"]
    list_filter = ["kind", "is_published"]
    search_fields = ["title"]
    raw_id_fields = ["unit"]
    filter_horizontal = ["banks"]
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
