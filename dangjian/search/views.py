"""The /search/ page: one box over every supermarket's sources, filtered by kind and date."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from dangjian.search.queries import MAX_QUERY
from dangjian.search.queries import search as run_search
from dangjian.search.registry import sources

PAGE_SIZE = 20


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search for"), max_length=MAX_QUERY, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Everything")), *((s.key, s.label) for s in sources())]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    page_obj, query = None, ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        query = data["q"].strip()
        hits = run_search(request.user, query, kind=data["kind"], since=data["since"], until=data["until"])
        page_obj = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "search/search.html",
        {"form": form, "page_obj": page_obj, "searched": bool(query), "params": params.urlencode()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
