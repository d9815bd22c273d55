"""The ledger as an Excel workbook: a summary sheet per branch and the members' lines, streamed by openpyxl's
write-only mode so a county-wide year stays flat in memory."""

from __future__ import annotations

import tempfile
from datetime import date

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dangjian.core.models import Unit
from dangjian.services.dues import queries
from dangjian.stats.export import text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _money(value) -> float:
    return float(value)


def xlsx_response(book: Workbook, filename: str) -> FileResponse:
    """A write-only workbook as a download: saved to a temporary file (its rows are already on disk) and sent from
    there in chunks, so a large export never sits in memory whole; the file goes when the response closes."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    book.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def ledger_workbook(user, unit: Unit, first: date, last: date) -> Workbook:
    """Months `first` to `last` (first days of months) of the unit's subtree."""
    book = Workbook(write_only=True)
    book.properties.title = f"{unit.name} {first:%Y-%m}–{last:%Y-%m}"
    summary = book.create_sheet(title=_("Summary")[:31])
    summary.append([_("Month"), _("Party branch"), _("Members"), _("Due"), _("Reduced by"), _("Paid"), _("Owed"),
                    _("Members who owe")])  # fmt: skip
    lines = book.create_sheet(title=_("Lines")[:31])
    lines.append([_("Month"), _("Party branch"), _("Name"), _("Dues category"), _("Monthly base"), _("Due"),
                  _("Reduced by"), _("Paid"), _("Owed")])  # fmt: skip
    month = first
    while month <= last:
        for branch, t in queries.branch_totals(user, unit, month):
            summary.append([f"{month:%Y-%m}", text(branch.name), t.members, _money(t.due), _money(t.reduction),
                            _money(t.paid), _money(t.owed), t.unpaid_members])  # fmt: skip
        for line in queries.month_lines(user, unit, month).iterator(chunk_size=2000):
            lines.append([
                f"{month:%Y-%m}", text(line.branch.name), text(line.person.name), str(line.get_category_display()),
                _money(line.base) if line.base is not None else None, _money(line.due), _money(line.reduction),
                _money(line.paid), _money(line.owed),
            ])  # fmt: skip
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return book
