"""The registry's import and export pages: upload, a background check with a progress bar, every problem by row,
then an import of all rows or only the valid ones; the template; export with chosen columns, masked by role."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from dangjian.core import audit
from dangjian.core.permissions import scope_for
from dangjian.services.dues.export import XLSX, xlsx_response
from dangjian.services.registry import importing, queries, tasks
from dangjian.services.registry.access import EDIT_KINDS, VIEW_KINDS
from dangjian.services.registry.forms import ExportForm, ImportForm, SearchForm
from dangjian.services.registry.models import ImportJob, ImportKind, ImportState

PROBLEMS_PAGE = 100


def _require(request: HttpRequest, kinds) -> None:
    if not scope_for(request.user).has_kind(*kinds):
        raise PermissionDenied


def _kept_name(name: str, limit: int = 200) -> str:
    """The upload's name cut to the column, keeping its extension: the check reads the file's format from it."""
    stem, ext = os.path.splitext(name)
    return name if len(name) <= limit else stem[: limit - len(ext)] + ext


def import_start(request: HttpRequest) -> HttpResponse:
    _require(request, EDIT_KINDS)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        job = ImportJob.objects.create(
            owner=request.user, kind=form.cleaned_data["kind"], filename=_kept_name(upload.name), content=content,
            digest=importing.file_digest(content),
        )  # fmt: skip
        transaction.on_commit(lambda: tasks.check_import.enqueue(job.pk))
        return redirect("registry:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(owner=request.user).defer("content")[:10]
    return render(request, "registry/import_start.html", {"form": form, "jobs": jobs, "kinds": ImportKind.choices})


def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk, owner=request.user)
    page = Paginator(job.problems, PROBLEMS_PAGE).get_page(request.GET.get("page"))
    running = job.state in (ImportState.CHECKING, ImportState.IMPORTING)
    bad_rows = len({row for row, _col, _reason in job.problems})
    return render(
        request, "registry/import_job.html", {"job": job, "page": page, "running": running, "bad_rows": bad_rows}
    )


@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk, owner=request.user)
    only_valid = request.POST.get("only_valid") == "1"
    # A checked job, or an import whose worker stopped (nothing of it was written): the import checks again anyway.
    startable = job.state == ImportState.CHECKED or (job.state == ImportState.FAILED and job.interrupted)
    if not startable or (job.problems and not only_valid):
        messages.error(request, _("This file cannot be imported as it is: fix it, or import only the valid rows."))
        return redirect("registry:import_job", pk=job.pk)
    started = ImportJob.objects.filter(pk=job.pk, state=job.state).update(
        state=ImportState.IMPORTING, only_valid=only_valid, done=0, interrupted=False, error="",
        heartbeat_at=timezone.now(),
    )  # fmt: skip
    if not started:  # a second click, or another tab, started it first
        return redirect("registry:import_job", pk=job.pk)
    transaction.on_commit(lambda: tasks.apply_import.enqueue(job.pk))
    return redirect("registry:import_job", pk=job.pk)


def import_template(request: HttpRequest) -> HttpResponse:
    """The template of one kind of import (`?kind=`; people by default): the Chinese headers and an example row."""
    _require(request, EDIT_KINDS)
    kind = request.GET.get("kind", ImportKind.PEOPLE)
    if kind not in ImportKind.values:
        raise Http404
    response = HttpResponse(importing.template_xlsx(kind), content_type=XLSX)
    name = "registry-template" if kind == ImportKind.PEOPLE else f"registry-{kind}-template"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff"  # Excel reads UTF-8 only with a byte-order mark
    for row in rows:
        yield writer.writerow(["" if c is None else c for c in row])


def export(request: HttpRequest) -> HttpResponse:
    """The current search's people with the chosen columns; ID numbers and phones masked unless the role may
    export personal data (the export is audit-logged either way)."""
    _require(request, VIEW_KINDS)
    form = ExportForm(request.GET or None, user=request.user)
    search = SearchForm(request.GET, user=request.user)
    if not (form.is_bound and form.is_valid() and search.is_valid()):
        return render(request, "registry/export.html", {"form": form, "query": request.GET.urlencode()})
    filters = queries.SearchFilters.from_dict(search.filters())
    people = queries.search(request.user, filters)
    unmasked = importing.may_export_unmasked(request.user)
    fields = form.cleaned_data["fields"]
    audit.record(actor=request.user, verb="person.export",
                 after={"filters": filters.to_dict(), "fields": fields, "unmasked": unmasked})  # fmt: skip
    rows = importing.export_rows(people, fields, unmasked=unmasked, user=request.user)
    return spreadsheet_response(rows, "registry", form.cleaned_data["format"])


def spreadsheet_response(rows: Iterator[list], name: str, fmt: str) -> HttpResponse:
    """Rows (the first the header) as a download: CSV streamed, or an xlsx workbook written row by row to a
    temporary file and sent from there; memory stays flat however many rows."""
    filename = f"{name}-{importing.stamp()}"
    if fmt == "csv":
        response: HttpResponse = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    book = Workbook(write_only=True)
    sheet = book.create_sheet(name)
    for row in rows:
        sheet.append(row)
    return xlsx_response(book, f"{filename}.xlsx")
