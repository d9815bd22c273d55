"""Forms of the dues pages: they validate input and hand typed values to the actions and queries."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import ModelChoiceField
from dangjian.core.models import Unit, UnitKind
from dangjian.services.dues.models import Method

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
DATE = forms.DateInput(attrs={"type": "date"})


class MonthField(forms.DateField):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    widget = MONTH

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


def ledger_units(user):
    return Unit.objects.for_user(user).exclude(kind__in=[UnitKind.STATION, UnitKind.VILLAGE]).order_by("path")


class LedgerForm(forms.Form):
    unit = ModelChoiceField(label=_("Unit (with the units below it)"), queryset=Unit.objects.none())
    month = MonthField(label=_("Month"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = ledger_units(user)
        self.fields["unit"].empty_label = None


class YearForm(forms.Form):
    unit = ModelChoiceField(label=_("Unit (with the units below it)"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = ledger_units(user)
        self.fields["unit"].empty_label = None


class BaseForm(forms.Form):
    valid_from = MonthField(label=_("From month"))
    base = forms.DecimalField(
        label=_("Monthly base (yuan)"), min_value=0, max_digits=12, decimal_places=2,
        help_text=_("After-tax monthly wage, monthly pension, or for a farmer the amount the branch set."),
    )  # fmt: skip


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Dues paid (yuan)"), min_value=0, max_digits=12, decimal_places=2)
    extra = forms.DecimalField(
        label=_("Voluntary extra (yuan)"), min_value=0, max_digits=12, decimal_places=2, required=False, initial=0
    )
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReductionForm(forms.Form):
    first_month = MonthField(label=_("First month"))
    last_month = MonthField(label=_("Last month"))
    monthly_amount = forms.DecimalField(
        label=_("Pays a month (yuan)"), min_value=0, max_digits=12, decimal_places=2, help_text=_("0 to exempt.")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


def this_month() -> date:
    return timezone.localdate().replace(day=1)
