"""The registry's staff pages (under /work/, behind login and the second factor): search, record, edit, reveal."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core import audit
from dangjian.core.permissions import scope_for
from dangjian.services.registry import actions, queries, retirement
from dangjian.services.registry.access import EDIT_KINDS, REVEAL_KINDS, SENSITIVE_KINDS, VIEW_KINDS
from dangjian.services.registry.forms import CancelForm, DateForm, PersonForm, SaveSearchForm, SearchForm, TransferForm
from dangjian.services.registry.import_views import spreadsheet_response
from dangjian.services.registry.models import Person, RewardKind, SavedSearch, TransferState
from dangjian.services.registry.queries import AlertKind
from dangjian.stats.export import text

PAGE_SIZE = 50


def _require_view(request: HttpRequest) -> None:
    if not scope_for(request.user).has_kind(*VIEW_KINDS):
        raise PermissionDenied


def _query_without_page(request: HttpRequest) -> str:
    return urlencode([(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs])


def person_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    saved = None
    if saved_pk := request.GET.get("saved"):
        saved = get_object_or_404(queries.saved_searches(request.user), pk=saved_pk)
        people = queries.members_of(saved, request.user)
        form = SearchForm(user=request.user)
    else:
        form = SearchForm(request.GET or None, user=request.user)
        filters = queries.SearchFilters()
        if form.is_bound and form.is_valid():
            filters = queries.SearchFilters.from_dict(form.filters())
        people = queries.search(request.user, filters)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = scope_for(request.user)
    return render(
        request,
        "registry/person_list.html",
        {
            "form": form,
            "page": page,
            "saved": saved,
            "saved_searches": queries.saved_searches(request.user)[:50],
            "save_form": SaveSearchForm(user=request.user),
            "query": _query_without_page(request),
            "can_edit": scope.has_kind(*EDIT_KINDS),
        },
    )


@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = SearchForm(request.GET, user=request.user)
    save_form = SaveSearchForm(request.POST, user=request.user)
    if form.is_valid() and save_form.is_valid():
        try:
            saved = actions.save_search(
                actor=request.user,
                name=save_form.cleaned_data["name"],
                unit=save_form.cleaned_data["owner_unit"],
                filters=form.filters(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(f"{reverse('registry:person_list')}?{_query_without_page(request)}")
        messages.success(request, _("Saved the group “%(name)s”.") % {"name": saved.name})
        return redirect(f"{reverse('registry:person_list')}?saved={saved.pk}")
    messages.error(request, _("The group was not saved: give it a name and a unit."))
    return redirect(f"{reverse('registry:person_list')}?{_query_without_page(request)}")


@require_POST
def delete_search(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedSearch.objects.for_user(request.user), pk=pk)
    actions.delete_search(actor=request.user, saved=saved)
    messages.success(request, _("Deleted the group."))
    return redirect("registry:person_list")


def _person(request: HttpRequest, pk: int, kinds=VIEW_KINDS) -> Person:
    return get_object_or_404(Person.objects.for_user(request.user, kinds=kinds).select_related("branch"), pk=pk)


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    scope = scope_for(request.user)
    revealed = None
    if request.method == "POST":
        revealed = actions.reveal_identifiers(actor=request.user, person=person)
    sensitive = scope.covers(person.branch, SENSITIVE_KINDS)
    rewards = person.rewards.all()
    family = list(person.family.all()) if sensitive else []
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "revealed": revealed,
            "can_reveal": scope.covers(person.branch, REVEAL_KINDS),
            "can_edit": scope.covers(person.branch, EDIT_KINDS),
            "sensitive": sensitive,
            "positions": person.positions.select_related("unit"),
            "appointments": person.appointments.select_related("unit", "notice"),
            # Punishments and family are for roles with a need to know; the others see commendations only.
            "rewards": rewards if sensitive else rewards.filter(kind=RewardKind.REWARD),
            "show_family": sensitive and (person.is_cadre or bool(family)),
            "family": family,
            "talents": person.talents.all(),
            "tags": person.tags.all(),
        },
    )


def person_create(request: HttpRequest) -> HttpResponse:
    if not scope_for(request.user).has_kind(*EDIT_KINDS):
        raise PermissionDenied
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.create_person(actor=request.user, data=form.person_data())
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Added %(name)s to the registry.") % {"name": person.name})
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": None})


def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk, EDIT_KINDS)
    if request.method == "POST":
        form = PersonForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                actions.update_person(actor=request.user, person=person, data=form.person_data())
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("registry:person_detail", pk=person.pk)
    else:
        # The edit form shows the full identifiers: that is a view of them, and is logged as one.
        actions.reveal_identifiers(actor=request.user, person=person)
        form = PersonForm(initial=PersonForm.initial_from(person), user=request.user)
    return render(request, "registry/person_form.html", {"form": form, "person": person})


def form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def transfer_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    transfers = queries.visible_transfers(request.user)
    state = request.GET.get("state", "")
    if state == "overdue":
        transfers = queries.overdue_transfers(request.user)
    elif state in TransferState.values:
        transfers = transfers.filter(state=state)
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/transfer_list.html",
        {"page": page, "state": state, "states": TransferState.choices, "query": _query_without_page(request),
         "today": timezone.localdate()},
    )  # fmt: skip


def transfer_create(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk, EDIT_KINDS)
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = actions.issue_transfer(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Issued letter %(number)s.") % {"number": transfer.number})
            return redirect("registry:transfer_detail", pk=transfer.pk)
    return render(request, "registry/transfer_form.html", {"form": form, "person": person})


TRANSFER_ACTS = {
    "receive": (DateForm, actions.receive_transfer),
    "receipt": (DateForm, actions.record_receipt),
    "cancel": (CancelForm, actions.cancel_transfer),
}


def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(queries.visible_transfers(request.user), pk=pk)
    scope = scope_for(request.user)
    open_ = transfer.state == TransferState.ISSUED
    allowed = {
        "receive": open_ and transfer.within_county and scope.covers(transfer.to_branch, EDIT_KINDS),
        "receipt": open_ and not transfer.within_county and scope.covers(transfer.from_branch, EDIT_KINDS),
        "cancel": open_ and scope.covers(transfer.from_branch, EDIT_KINDS),
    }
    forms = {name: TRANSFER_ACTS[name][0](prefix=name) for name, ok in allowed.items() if ok}
    if request.method == "POST":
        which = request.POST.get("act", "")
        if not allowed.get(which):
            raise PermissionDenied
        form_class, act = TRANSFER_ACTS[which]
        form = forms[which] = form_class(request.POST, prefix=which)
        if form.is_valid():
            try:
                act(actor=request.user, transfer=transfer, **form.cleaned_data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("registry:transfer_detail", pk=transfer.pk)
    return render(
        request,
        "registry/transfer_detail.html",
        {"transfer": transfer, "forms": forms, "overdue": transfer.is_overdue()},
    )


def transfer_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter as printed: stub (存根), introduction letter (介绍信) and receipt (回执) on one page."""
    transfer = get_object_or_404(queries.visible_transfers(request.user), pk=pk)
    return render(request, "registry/transfer_print.html", {"transfer": transfer})


def _alert_rows(alerts: list[queries.CadreAlert], today) -> Iterator[list]:
    yield [_("Name"), _("Party branch or unit"), _("Date of birth"), _("Alert"), _("Post"), _("Rank"), _("Due"),
           _("State")]  # fmt: skip
    for a in alerts:
        post = a.position
        yield [
            text(a.person.name), text(a.person.branch.name),
            a.person.birth_date.isoformat() if a.person.birth_date else "", str(AlertKind(a.kind).label),
            text(post.title) if post else "", str(post.get_rank_display()) if post else "",
            a.due.isoformat(), _("Past") if a.late(today) else _("Coming"),
        ]  # fmt: skip


def cadre_alert_list(request: HttpRequest) -> HttpResponse:
    """干部预警: cadres nearing retirement age and terms of office ending, in the user's units; CSV or xlsx too."""
    _require_view(request)
    kind = request.GET.get("kind", "")
    if kind not in AlertKind.values:
        kind = ""
    today = timezone.localdate()
    alerts = queries.cadre_alerts(request.user, today=today, kind=kind)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        audit.record(actor=request.user, verb="registry.export_cadre_alerts", after={"kind": kind, "rows": len(alerts)})
        return spreadsheet_response(_alert_rows(alerts, today), "cadre-alerts", fmt)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/cadre_alerts.html",
        {
            "page": page,
            "kind": kind,
            "kinds": AlertKind.choices,
            "today": today,
            "query": _query_without_page(request),
            "warning_months": retirement.RETIREMENT_WARNING_MONTHS,
            "term_warning_days": retirement.TERM_WARNING_DAYS,
        },
    )
