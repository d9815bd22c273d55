"""Forms of the SMS workbench: compose a campaign (message, audience, options) and keep the opt-out list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import ModelChoiceField
from dangjian.core.models import Unit
from dangjian.core.permissions import scope_for
from dangjian.services.dues.rules import Category
from dangjian.services.registry.choices import TalentCategory
from dangjian.services.registry.models import SavedSearch
from dangjian.services.sms.access import COMPOSE_KINDS
from dangjian.services.sms.gateways import BACKENDS

AUDIENCE_KINDS = [("members", _("Party members")), ("cadres", _("Cadres")), ("all", _("Everyone in the registry"))]


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Variables: {姓名} name, {支部} branch, {单位} work unit. The signature is added in front."),
    )
    unit = ModelChoiceField(label=_("Unit (with everything below it)"), queryset=Unit.objects.none())
    who = forms.ChoiceField(label=_("Who"), choices=AUDIENCE_KINDS, initial="members")
    category = forms.MultipleChoiceField(
        label=_("Dues category"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    talent = forms.MultipleChoiceField(
        label=_("Talent category"), choices=TalentCategory.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    saved_search = ModelChoiceField(label=_("Or a saved group"), queryset=SavedSearch.objects.none(), required=False)
    mandatory = forms.BooleanField(label=_("Mandatory notice (also to people who opted out)"), required=False)
    urgent = forms.BooleanField(label=_("Urgent (may be sent during quiet hours)"), required=False)
    scheduled_at = forms.DateTimeField(
        label=_("Send at (empty: at once)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    gateway = forms.ChoiceField(label=_("Gateway"), choices=[(b, b) for b in BACKENDS], required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        self.fields["unit"].queryset = scope.filter(Unit.objects.all(), unit_field="", kinds=COMPOSE_KINDS).order_by(
            "path"
        )
        self.fields["saved_search"].queryset = scope.filter(SavedSearch.objects.all(), kinds=COMPOSE_KINDS)

    def audience(self) -> dict:
        d = self.cleaned_data
        out: dict = {"unit": d["unit"].pk}
        if d.get("saved_search"):
            out["saved_search"] = d["saved_search"].pk
            return out
        filters: dict = {}
        if d["who"] == "members":
            filters["stage"] = ["probationary", "full"]
        elif d["who"] == "cadres":
            filters["cadre"] = True
        for key in ("category", "talent", "tag"):
            if d.get(key):
                filters[key] = d[key]
        if filters:
            out["filters"] = filters
        return out


class OptOutForm(forms.Form):
    mobile = forms.CharField(label=_("Mobile"), max_length=20)
