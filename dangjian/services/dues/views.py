"""The dues pages (under /work/dues/, behind login and the second factor): a unit's month, its year, arrears,
one member's account with the forms to declare a base, record a payment and approve a reduction."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core.permissions import scope_for
from dangjian.services.dues import actions, export, queries
from dangjian.services.dues.forms import BaseForm, LedgerForm, PaymentForm, ReductionForm, YearForm, this_month
from dangjian.services.dues.models import DuesBase, Line, Payment, Reduction
from dangjian.services.registry.access import COMMITTEE_KINDS, EDIT_KINDS, VIEW_KINDS
from dangjian.services.registry.models import Person
from dangjian.services.registry.views import form_errors

PAGE_SIZE = 50


def _require_view(request: HttpRequest) -> None:
    if not scope_for(request.user).has_kind(*VIEW_KINDS):
        raise PermissionDenied


def _default_unit(request: HttpRequest):
    form = LedgerForm(user=request.user)
    return form.fields["unit"].queryset.first()


def _ledger_form(request: HttpRequest) -> LedgerForm:
    data = request.GET.copy()
    data.setdefault("month", this_month().strftime("%Y-%m"))
    if "unit" not in data and (unit := _default_unit(request)):
        data["unit"] = str(unit.pk)
    return LedgerForm(data, user=request.user)


def ledger(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = _ledger_form(request)
    context: dict = {"form": form}
    if form.is_valid():
        unit, month = form.cleaned_data["unit"], form.cleaned_data["month"]
        scope = scope_for(request.user)
        context.update(
            unit=unit,
            month=month,
            totals=queries.month_totals(request.user, unit, month),
            branches=queries.branch_totals(request.user, unit, month)[:200],
            page=Paginator(queries.month_lines(request.user, unit, month), PAGE_SIZE).get_page(request.GET.get("page")),
            query=urlencode({"unit": unit.pk, "month": f"{month:%Y-%m}"}),
            can_run=scope.covers(unit, COMMITTEE_KINDS + EDIT_KINDS),
        )
    return render(request, "dues/ledger.html", context)


def year(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    data = request.GET.copy()
    data.setdefault("year", str(this_month().year))
    if "unit" not in data and (unit := _default_unit(request)):
        data["unit"] = str(unit.pk)
    form = YearForm(data, user=request.user)
    context: dict = {"form": form}
    if form.is_valid():
        unit, y = form.cleaned_data["unit"], form.cleaned_data["year"]
        rows = queries.year_totals(request.user, unit, y)
        context.update(unit=unit, year=y, rows=rows, query=urlencode({"unit": unit.pk, "year": y}))
    return render(request, "dues/year.html", context)


def arrears(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = _ledger_form(request)
    context: dict = {"form": form}
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        context.update(unit=unit, rows=queries.arrears(request.user, unit), lapse_months=queries.LAPSE_MONTHS)
    return render(request, "dues/arrears.html", context)


def export_xlsx(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if "year" in request.GET:
        form = YearForm(request.GET, user=request.user)
        if not form.is_valid():
            return HttpResponse(_("Choose a unit and a year."), status=400, content_type="text/plain; charset=utf-8")
        y = form.cleaned_data["year"]
        first, last, label = date(y, 1, 1), date(y, 12, 1), str(y)
    else:
        form = LedgerForm(request.GET, user=request.user)
        if not form.is_valid():
            return HttpResponse(_("Choose a unit and a month."), status=400, content_type="text/plain; charset=utf-8")
        first = last = form.cleaned_data["month"]
        label = f"{first:%Y-%m}"
    unit = form.cleaned_data["unit"]
    book = export.ledger_workbook(request.user, unit, first, last)
    return export.xlsx_response(book, f"dues_{unit.code}_{label}.xlsx")


@require_POST
def run(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = LedgerForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose a unit and a month."))
        return redirect("dues:ledger")
    unit, month = form.cleaned_data["unit"], form.cleaned_data["month"]
    try:
        result = actions.run_month(actor=request.user, month=month, unit=unit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Computed %(month)s: %(created)s new lines, %(existing)s already there.")
            % {"month": f"{month:%Y-%m}", "created": result.created, "existing": result.existing},
        )
        if result.missing_base:
            messages.warning(
                request,
                _("%(n)s members need a declared base before their dues can be computed.")
                % {"n": len(result.missing_base)},
            )
    return redirect(f"{reverse('dues:ledger')}?{urlencode({'unit': unit.pk, 'month': f'{month:%Y-%m}'})}")


FORMS = {"base": BaseForm, "payment": PaymentForm, "reduction": ReductionForm}


def _act(request: HttpRequest, person: Person, which: str, form) -> str:
    data = form.cleaned_data
    if which == "base":
        actions.declare_base(actor=request.user, person=person, **data)
        return _("Declared the base.")
    if which == "payment":
        payment = actions.record_payment(actor=request.user, person=person, **{**data, "extra": data["extra"] or 0})
        return _("Recorded the payment, receipt %(receipt)s.") % {"receipt": payment.receipt}
    actions.grant_reduction(actor=request.user, person=person, **data)
    return _("Approved the reduction.")


def account(request: HttpRequest, pk: int) -> HttpResponse:
    """One member's dues: the months, payments, bases and reductions, and the forms that change them."""
    person = get_object_or_404(Person.objects.for_user(request.user, kinds=VIEW_KINDS).select_related("branch"), pk=pk)
    scope = scope_for(request.user)
    can_edit = scope.covers(person.branch, EDIT_KINDS)
    can_approve = scope.covers(person.branch.parent or person.branch, COMMITTEE_KINDS)
    forms = {name: cls(prefix=name) for name, cls in FORMS.items()}
    if request.method == "POST":
        which = request.POST.get("form", "")
        allowed = {"base": can_edit, "payment": can_edit, "reduction": can_approve}
        if not allowed.get(which):
            raise PermissionDenied
        form = forms[which] = FORMS[which](request.POST, prefix=which)
        if form.is_valid():
            try:
                done = _act(request, person, which, form)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("dues:account", pk=person.pk)
    return render(
        request,
        "dues/account.html",
        {
            "person": person,
            "lines": Line.objects.filter(person=person).order_by("-month")[:36],
            "payments": Payment.objects.filter(person=person)[:36],
            "bases": DuesBase.objects.filter(person=person)[:12],
            "reductions": Reduction.objects.filter(person=person).select_related("approving_unit")[:12],
            "forms": forms,
            "can_edit": can_edit,
            "can_approve": can_approve,
        },
    )
