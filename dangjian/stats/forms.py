"""The period a visitor picks: start, end and granularity from GET parameters, validated, with a cap on buckets."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.stats.registry import Period

#: The most buckets one chart may have: a leap year by day fits; ten years by day does not.
MAX_BUCKETS = 400
#: Dates the platform has figures for; anything outside is a typing mistake, refused with a message.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)

GRANULARITY_CHOICES = [("day", _("By day")), ("month", _("By month")), ("year", _("By year"))]
BUCKET_NAMES = {"day": _("days"), "month": _("months"), "year": _("years")}

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """Any parameter left out or empty keeps its default (the last 12 months by month)."""

    start = forms.DateField(label=_("From"), widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), widget=DATE_WIDGET)
    granularity = forms.ChoiceField(label=_("Granularity"), choices=GRANULARITY_CHOICES)

    def __init__(self, data=None, *, today: date | None = None) -> None:
        self.default = Period.default(today)
        defaults = {
            "start": self.default.start.isoformat(),
            "end": self.default.end.isoformat(),
            "granularity": self.default.granularity,
        }
        given = {k: data[k] for k in defaults if data is not None and data.get(k)}
        super().__init__({**defaults, **given} if given else None, initial=defaults)

    def _in_range(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s."),
                code="out_of_range",
                params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            )
        return day

    def clean_start(self) -> date | None:
        return self._in_range("start")

    def clean_end(self) -> date | None:
        return self._in_range("end")

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        start, end, granularity = data["start"], data["end"], data["granularity"]
        if end < start:
            raise forms.ValidationError(_("The period ends before it starts."), code="reversed")
        period = Period(start, end, granularity)
        if period.bucket_count() > MAX_BUCKETS:
            raise forms.ValidationError(
                _(
                    "A chart can show at most %(max)s %(buckets)s; this period has %(count)s. "
                    "Choose a shorter period or a coarser granularity."
                ),
                code="too_many_buckets",
                params={"max": MAX_BUCKETS, "buckets": BUCKET_NAMES[granularity], "count": period.bucket_count()},
            )
        data["period"] = period
        return data

    @property
    def period(self) -> Period | None:
        """The chosen period; the default when nothing was given; None while the input is invalid."""
        if not self.is_bound:
            return self.default
        return self.cleaned_data["period"] if self.is_valid() else None
