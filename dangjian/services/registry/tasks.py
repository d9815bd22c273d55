"""Background work of the registry: checking and importing an uploaded spreadsheet, and the sweep of jobs whose
worker stopped. Each task may run twice without harm: it does nothing unless the job is in the state the task
expects. A task always ends its job, as checked or imported or as failed with the reason; a worker killed mid-job
cannot end it, so the sweep does: a job is never left "checking" or "importing"."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.services.registry import importing
from dangjian.services.registry.models import ImportJob, ImportState

logger = logging.getLogger(__name__)
#: A job whose progress has not moved for this long, and that no live import holds, has lost its worker. Progress
#: is saved every 1000 rows, a fraction of a second apart; the margin covers a worker queue that is briefly behind.
STALE_AFTER = timedelta(minutes=10)


def _rows(content: bytes, filename: str) -> int:
    return max(0, sum(1 for _row in importing.read_rows(content, filename)) - 1)


def _progress(job: ImportJob, done: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(done=done, heartbeat_at=timezone.now())


def _check(job: ImportJob) -> importing.Report:
    content = bytes(job.content)
    ImportJob.objects.filter(pk=job.pk).update(total=_rows(content, job.filename), done=0, heartbeat_at=timezone.now())
    return importing.check(content, job.filename, user=job.owner, kind=job.kind, progress=lambda n: _progress(job, n))


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
    # Only a job still checking is marked checked: the sweep may have failed it meanwhile.
    ImportJob.objects.filter(pk=job.pk, state=ImportState.CHECKING).update(
        state=ImportState.CHECKED, total=report.total, done=report.total, heartbeat_at=timezone.now(),
        problems=[[p.row, p.column, p.reason] for p in report.problems],
        counts={"new": len(report.new), "changed": len(report.changed), "unchanged": report.unchanged},
    )  # fmt: skip
    return ImportJob.objects.values_list("state", flat=True).get(pk=job.pk)


@task()
def apply_import(pk: int) -> str:
    """Check again (the registry may have changed since) and write, all in one transaction."""
    job = _job(pk)
    if job.state != ImportState.IMPORTING:
        return job.state
    try:
        report = _check(job)
        # The rows and the job's "done" commit together: a worker killed at any point leaves either both or neither,
        # never imported rows under a job that still says "importing". The transaction first locks the job's row
        # (on SQLite the transaction holds the database's write lock from its start), so the sweep cannot fail a
        # job while it is being written, and a job the sweep failed meanwhile is not written.
        with transaction.atomic():
            state = ImportJob.objects.select_for_update().values_list("state", flat=True).get(pk=job.pk)
            if state != ImportState.IMPORTING:
                return state
            counts = importing.apply(report, actor=job.owner, only_valid=job.only_valid,
                                     source=f"{job.filename} sha256:{job.digest}")  # fmt: skip
            job.state, job.counts, job.done = ImportState.DONE, counts, report.total
            job.problems = [[p.row, p.column, p.reason] for p in report.problems]
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["state", "counts", "done", "problems", "heartbeat_at"])
    except Exception as exc:  # apply() stored nothing; the job ends with a reason
        return _fail(job, exc)
    return job.state


def sweep_stopped_imports(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Fail the jobs whose worker stopped (killed, or its machine gone): still checking or importing, no progress
    for `stale_after`, and not held by a live import. Nothing of such a job was written, since an import writes in
    one transaction with its end; an interrupted import may be started again. Returns how many jobs were failed.

    On PostgreSQL a live import holds its job's row lock, and the rows it holds are skipped. SQLite has no row
    locks: the sweep's transaction waits for the write lock a live import holds for the whole of its writing;
    once it has it, no import is writing, and one that finished meanwhile is no longer "importing". If the wait
    runs out (an import writing for longer than the database's timeout) the sweep tries again next round."""
    stale = ImportJob.objects.filter(
        state__in=[ImportState.CHECKING, ImportState.IMPORTING], heartbeat_at__lt=timezone.now() - stale_after
    )
    failed = 0
    try:
        with transaction.atomic():
            if connection.features.has_select_for_update_skip_locked:
                pks = list(stale.select_for_update(skip_locked=True).values_list("pk", flat=True))
                stale = ImportJob.objects.filter(pk__in=pks)
            failed += stale.filter(state=ImportState.IMPORTING).update(
                state=ImportState.FAILED, interrupted=True, error=_("The worker stopped; nothing was imported.")
            )
            failed += stale.filter(state=ImportState.CHECKING).update(
                state=ImportState.FAILED, error=_("The worker stopped while checking the file. Upload it again.")
            )
    except OperationalError:
        if connection.vendor != "sqlite":
            raise
        # An import kept the write lock for longer than the timeout.
        logger.info("import sweep: the database is busy writing; trying again next round")
        return 0
    if failed:
        logger.warning("import sweep: %s import jobs had lost their worker and were failed", failed)
    return failed


@task()
def sweep_import_jobs() -> int:
    return sweep_stopped_imports()
