"""An import job whose worker stopped (killed, its machine gone) does not stay "checking" or "importing": the
periodic sweep fails it once its heartbeat is stale, unless a live import holds it, and the owner may start an
interrupted import again. The worker really killed mid-import is tests/quality/test_crash_import.py."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from dangjian.core.models import RoleKind
from dangjian.services.registry import tasks
from dangjian.services.registry.models import ImportJob, ImportState, Person
from tests.services import workbooks

STOPPED = "The worker stopped; nothing was imported."


def job(owner, state, *, age: timedelta, rows: int = 3) -> ImportJob:
    content = workbooks.workbook([workbooks.person_row(i, "B1") for i in range(rows)])
    return ImportJob.objects.create(owner=owner, filename="a.xlsx", content=content, digest="x", state=state,
                                    heartbeat_at=timezone.now() - age)  # fmt: skip


@pytest.mark.django_db
def test_jobs_whose_heartbeat_is_stale_are_failed_and_the_others_left_alone(make_user, branches):
    owner = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    stopped = job(owner, ImportState.IMPORTING, age=timedelta(minutes=11))
    stopped_checking = job(owner, ImportState.CHECKING, age=timedelta(minutes=11))
    live = job(owner, ImportState.IMPORTING, age=timedelta(seconds=30))
    checked = job(owner, ImportState.CHECKED, age=timedelta(days=1))
    assert tasks.sweep_import_jobs.call() == 2
    stopped.refresh_from_db()
    assert (stopped.state, stopped.interrupted, stopped.error) == (ImportState.FAILED, True, gettext(STOPPED))
    assert gettext(STOPPED) != STOPPED  # stored in the default language, zh-Hans
    stopped_checking.refresh_from_db()
    assert stopped_checking.state == ImportState.FAILED and not stopped_checking.interrupted
    assert ImportJob.objects.get(pk=live.pk).state == ImportState.IMPORTING
    assert ImportJob.objects.get(pk=checked.pk).state == ImportState.CHECKED
    assert tasks.sweep_import_jobs.call() == 0


@pytest.mark.django_db
def test_the_owner_starts_an_interrupted_import_again_and_it_imports_every_row_once(
    staff_client, branches, immediate_tasks, django_capture_on_commit_callbacks
):
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    stopped = job(c.user, ImportState.IMPORTING, age=timedelta(hours=1), rows=5)
    tasks.sweep_stopped_imports()
    page = c.get(f"/work/registry/import/{stopped.pk}/").content.decode()
    assert gettext(STOPPED) in page and gettext("Start the import again") in page
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/work/registry/import/{stopped.pk}/apply/")
    stopped.refresh_from_db()
    assert (stopped.state, stopped.interrupted, stopped.error, stopped.counts["created"]) == (
        ImportState.DONE, False, "", 5)  # fmt: skip
    assert Person.objects.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/work/registry/import/{stopped.pk}/apply/")  # done: not started again
    assert ImportJob.objects.get(pk=stopped.pk).counts["created"] == 5 and Person.objects.count() == 5


@pytest.mark.django_db
def test_a_job_failed_for_its_file_is_not_started_again(staff_client, branches):
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    broken = job(c.user, ImportState.FAILED, age=timedelta(hours=1))
    c.post(f"/work/registry/import/{broken.pk}/apply/")
    assert ImportJob.objects.get(pk=broken.pk).state == ImportState.FAILED


@pytest.mark.django_db(transaction=True)
def test_the_sweep_does_not_fail_a_job_a_live_import_is_writing(make_user, branches):
    """Another connection holds the job as apply_import does while it writes, then finishes it. On PostgreSQL the
    sweep skips the locked row; on SQLite it waits for the write lock and then finds the job done."""
    owner = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    held = job(owner, ImportState.IMPORTING, age=timedelta(hours=1))
    locked, release = threading.Event(), threading.Event()

    def live_import():
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().filter(pk=held.pk).values_list("pk").get()
                locked.set()
                release.wait(10)
                ImportJob.objects.filter(pk=held.pk).update(state=ImportState.DONE, heartbeat_at=timezone.now())
        finally:
            connection.close()

    thread = threading.Thread(target=live_import)
    thread.start()
    assert locked.wait(10)
    if connection.vendor == "sqlite":
        threading.Timer(0.5, release.set).start()  # the sweep waits for the lock meanwhile
    assert tasks.sweep_stopped_imports(stale_after=timedelta(0)) == 0
    release.set()
    thread.join(10)
    assert ImportJob.objects.get(pk=held.pk).state == ImportState.DONE


def test_the_sweep_is_on_the_schedule():
    from dangjian.config.schedule import SCHEDULE

    assert any(j.task == "dangjian.services.registry.tasks.sweep_import_jobs" and j.every for j in SCHEDULE)
