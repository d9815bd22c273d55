"""Background work of the registry: checking and importing an uploaded spreadsheet. Each task may run twice
without harm: it does nothing unless the job is in the state the task expects. A task always ends its job, as
checked or imported or as failed with the reason: a job is never left "checking" or "importing"."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.services.registry import importing
from dangjian.services.registry.models import ImportJob, ImportState

logger = logging.getLogger(__name__)


def _rows(content: bytes, filename: str) -> int:
    return max(0, sum(1 for _row in importing.read_rows(content, filename)) - 1)


def _check(job: ImportJob) -> importing.Report:
    content = bytes(job.content)
    ImportJob.objects.filter(pk=job.pk).update(total=_rows(content, job.filename), done=0)
    return importing.check(
        content, job.filename, user=job.owner, kind=job.kind,
        progress=lambda n: ImportJob.objects.filter(pk=job.pk).update(done=n),
    )  # fmt: skip


def _fail(job: ImportJob, exc: Exception) -> str:
    if isinstance(exc, importing.ImportFileError | ValidationError):
        error = " ".join(getattr(exc, "messages", [str(exc)]))
    else:
        logger.exception("import job %s failed", job.pk, exc_info=exc)
        error = _("The file could not be processed and nothing was imported. Check it, or save it again as CSV.")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.FAILED, error=error)
    return ImportState.FAILED


def _job(pk: int) -> ImportJob:
    return ImportJob.objects.select_related("owner").get(pk=pk)


@task()
def check_import(pk: int) -> str:
    job = _job(pk)
    if job.state != ImportState.CHECKING:
        return job.state
    try:
        report = _check(job)
    except Exception as exc:  # whatever happens, the job ends with a reason
        return _fail(job, exc)
    job.state, job.total, job.done = ImportState.CHECKED, report.total, report.total
    job.problems = [[p.row, p.column, p.reason] for p in report.problems]
    job.counts = {"new": len(report.new), "changed": len(report.changed), "unchanged": report.unchanged}
    job.save(update_fields=["state", "total", "done", "problems", "counts"])
    return job.state


@task()
def apply_import(pk: int) -> str:
    """Check again (the registry may have changed since) and write, all in one transaction."""
    job = _job(pk)
    if job.state != ImportState.IMPORTING:
        return job.state
    try:
        report = _check(job)
        # The rows and the job's "done" commit together: a worker killed at any point leaves either both or neither,
        # never imported rows under a job that still says "importing".
        with transaction.atomic():
            counts = importing.apply(report, actor=job.owner, only_valid=job.only_valid,
                                     source=f"{job.filename} sha256:{job.digest}")  # fmt: skip
            job.state, job.counts, job.done = ImportState.DONE, counts, report.total
            job.problems = [[p.row, p.column, p.reason] for p in report.problems]
            job.save(update_fields=["state", "counts", "done", "problems"])
    except Exception as exc:  # apply() stored nothing; the job ends with a reason
        return _fail(job, exc)
    return job.state
