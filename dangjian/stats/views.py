"""数据公开 (/data/) for everyone and the statistics of the workbench (/work/stats/), with CSV and Excel export.

Public figures are always computed for the whole county (scope None); the workbench computes every figure, public
and staff, with the viewer's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import STAFF_KINDS, Scope, scope_for
from dangjian.portal.supermarkets import BY_SLUG
from dangjian.stats import export, registry
from dangjian.stats.forms import PeriodForm
from dangjian.stats.registry import Period
from dangjian.stats.results import Result, result, results

GROUP_NAMES: dict[str, str | Promise] = {slug: market.name for slug, market in BY_SLUG.items()}
GROUP_NAMES["platform"] = _("Platform")


@dataclass(frozen=True)
class Group:
    slug: str
    name: str | Promise
    results: list[Result]


def _groups(found: list[Result]) -> list[Group]:
    """Results grouped by supermarket, in the order of registry.SUPERMARKETS (any other name last)."""
    order = {slug: i for i, slug in enumerate(registry.SUPERMARKETS)}
    slugs = sorted({r.figure.supermarket for r in found}, key=lambda s: (order.get(s, len(order)), s))
    return [
        Group(slug, GROUP_NAMES.get(slug, slug), [r for r in found if r.figure.supermarket == slug]) for slug in slugs
    ]


def _query(period: Period) -> str:
    return urlencode(
        {"start": period.start.isoformat(), "end": period.end.isoformat(), "granularity": period.granularity}
    )


def _page(request: HttpRequest, template: str, figures: list[registry.Figure], scope: Scope | None) -> HttpResponse:
    form = PeriodForm(request.GET)
    period = form.period
    export_view = "stats:export" if scope is None else "stats_work:export"
    context = {"form": form, "period": period, "groups": [], "query": "", "export_view": export_view}
    if period is None:
        return render(request, template, context, status=400)
    context.update(groups=_groups(results(figures, period, scope)), query=_query(period))
    return render(request, template, context)


FAILED = _("This figure cannot be computed just now. The error has been logged; please try again later.")


def _json_problem(errors: dict[str, list[str]], status: int) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status, json_dumps_params={"ensure_ascii": False})


def _export(request: HttpRequest, key: str, fmt: str, scope: Scope | None) -> HttpResponse:
    try:
        figure = registry.get(key)
    except KeyError:
        raise Http404 from None
    if fmt not in export.FORMATS or (scope is None and not figure.public):
        raise Http404
    form = PeriodForm(request.GET)
    period = form.period
    if period is None:
        if fmt == "json":
            return _json_problem({k: [str(m) for m in v] for k, v in form.errors.items()}, 400)
        return render(request, "stats/problem.html", {"form": form, "figure": figure}, status=400)
    found = result(figure, period, scope)
    if found.series is None:
        if fmt == "json":
            return _json_problem({"__all__": [str(FAILED)]}, 503)
        return render(request, "stats/problem.html", {"figure": figure, "failed": True}, status=503)
    if fmt == "json":
        # Open data is read by programs as well as saved: served inline, readable from any origin (it is public).
        response = HttpResponse(export.to_json(figure, period, found.series), content_type=export.FORMATS[fmt])
        if scope is None:
            response["Access-Control-Allow-Origin"] = "*"
        return response
    body = export.to_csv(found.series) if fmt == "csv" else export.to_xlsx(figure, period, found.series)
    response = HttpResponse(body, content_type=export.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export.filename(figure, period, fmt)}"'
    return response


def public_figures(request: HttpRequest) -> HttpResponse:
    return _page(request, "stats/data.html", registry.figures(public_only=True), None)


def public_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    return _export(request, key, fmt, None)


def _staff_scope(request: HttpRequest) -> Scope:
    """The viewer's scope; only staff roles (not a plain member) open the workbench's statistics."""
    scope = scope_for(request.user)
    if not scope.has_kind(*STAFF_KINDS):
        raise PermissionDenied
    return scope


def staff_figures(request: HttpRequest) -> HttpResponse:
    return _page(request, "stats/work.html", registry.figures(), _staff_scope(request))


def staff_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    return _export(request, key, fmt, _staff_scope(request))
