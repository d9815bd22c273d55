"""An import whose worker is killed with SIGKILL stores nothing, does not stay "importing", and runs again to the
end with every row stored once.

The import task runs in a process of its own on the test's database (reached through DATABASE_URL), as a worker
runs it, and is killed either while it checks the file again or while it writes. The periodic sweep then fails the
job ("the worker stopped; nothing was imported", true because the rows and the job's end are one transaction);
the owner starts it again from the job's page, and every row is stored once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from dangjian.core import actions as core_actions
from dangjian.core.models import AuditRecord, RoleKind, UnitKind
from dangjian.services.registry import importing, tasks
from dangjian.services.registry.models import ImportJob, ImportState, Person
from tests.core.otp import login_verified
from tests.services import workbooks
from tests.sms.test_crash import database_url

pytestmark = pytest.mark.django_db(transaction=True)
N = 12_000  # a multiple of 1000: the check's last progress is N


def _worker(pk: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "DANGJIAN_ENV": "test"}
    code = f"from dangjian.services.registry import tasks; tasks.apply_import.call({pk})"
    return subprocess.Popen([sys.executable, "-m", "dangjian.cli", "shell", "-c", code],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


def _held(pk: int) -> bool:
    """Whether a transaction holds the job: its row lock (PostgreSQL) or the database's write lock (SQLite)."""
    if connection.vendor == "sqlite":
        probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    with transaction.atomic():
        return not ImportJob.objects.select_for_update(skip_locked=True).filter(pk=pk).values_list("pk")


def _wait(condition, worker: subprocess.Popen, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:] if worker.stderr else "worker exited"
        assert time.monotonic() < deadline, f"the worker did not reach {what} in {seconds} s"
        time.sleep(0.02)


@pytest.mark.parametrize("killed_while", ["checking", "writing"])
def test_an_import_killed_mid_way_is_failed_by_the_sweep_and_runs_again_to_the_end(
    tree, make_user, client, settings, killed_while
):
    core_actions.create_unit(actor=None, code="B1", name="上坑村党支部", kind=UnitKind.BRANCH, parent=tree["v1"])
    owner = make_user("org", (RoleKind.ORG_ADMIN, tree["county"]))
    content = workbooks.workbook([workbooks.person_row(i, "B1") for i in range(N)])
    job = ImportJob.objects.create(owner=owner, filename="members.xlsx", content=content,
                                   digest=importing.file_digest(content))  # fmt: skip
    assert tasks.check_import.call(job.pk) == ImportState.CHECKED
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.IMPORTING, done=0, heartbeat_at=timezone.now())

    worker = _worker(job.pk)
    try:
        if killed_while == "checking":
            _wait(lambda: ImportJob.objects.get(pk=job.pk).done >= N // 3, worker, "a third of the check")
        else:
            # Progress reaches N at the end of the check; from then on a held job is the write transaction's.
            _wait(lambda: ImportJob.objects.get(pk=job.pk).done >= N and _held(job.pk), worker, "its writing")
            if connection.vendor != "sqlite":  # (SQLite's sweep would wait for the write lock: see the unit test)
                assert tasks.sweep_stopped_imports(stale_after=timedelta(0)) == 0, "a live import was failed"
            time.sleep(0.3)
        assert worker.poll() is None and ImportJob.objects.get(pk=job.pk).state == ImportState.IMPORTING
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    # The next rounds of the sweep: PostgreSQL may take a moment to end the killed connection's transaction.
    deadline = time.monotonic() + 30
    while not tasks.sweep_stopped_imports(stale_after=timedelta(0)):
        assert time.monotonic() < deadline, "the sweep did not fail the killed import"
        time.sleep(0.2)
    job.refresh_from_db()
    assert (job.state, job.interrupted) == (ImportState.FAILED, True)
    stopped = "The worker stopped; nothing was imported."
    assert job.error == gettext(stopped) != stopped  # translated, in the default language
    assert Person.objects.count() == 0, "rows of the killed import were stored"
    assert not AuditRecord.objects.filter(verb="person.import").exists()

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    login_verified(client, owner)
    assert gettext("Start the import again") in client.get(f"/work/registry/import/{job.pk}/").content.decode()
    client.post(f"/work/registry/import/{job.pk}/apply/")
    job.refresh_from_db()
    assert job.state == ImportState.DONE and job.counts["created"] == N
    assert Person.objects.count() == N
    assert Person.objects.values("id_index").distinct().count() == N
    assert AuditRecord.objects.filter(verb="person.import").count() == 1
