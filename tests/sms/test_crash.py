"""A sender killed with SIGKILL in the middle of a campaign loses no message and, restarted, sends none twice.

The sender runs as `dangjian sms worker` in a process of its own on the test's own database (PostgreSQL's test
database, or SQLite's test database file), reached through DATABASE_URL.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from dangjian.services.sms.models import Campaign, CampaignState, Message, MessageState
from tests.sms.conftest import add_people, assert_each_once, campaign

pytestmark = pytest.mark.django_db(transaction=True)
N = 4000


def database_url() -> str:
    """The test database, for a child process's DATABASE_URL."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dangjian.cli", "sms", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_campaign_restarts_and_completes_without_doubles(
    smsc,
    secretary,
    branches,
    settings,
):
    settings.DANGJIAN_SMS_APPROVAL_THRESHOLD = 100000
    add_people(branches["b1"], N)
    c = campaign(secretary, branches)
    env = {**os.environ, "DATABASE_URL": database_url(), "DANGJIAN_ENV": "test"}
    env["DANGJIAN_SMPP_WINDOW"] = "5"
    first = worker(env)
    # Killed as soon as a third of the campaign has reached the SMSC (no fixed sleep): it is then mid-campaign.
    deadline = time.monotonic() + 60
    while (sent := len(smsc.parts())) < N // 3 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    assert first.poll() is None, first.stderr.read().decode()[-2000:] if first.stderr else ""
    assert sent >= N // 3, f"the worker sent {sent} of {N} in 60 s ({undelivered()} rows not delivered)"
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed_at = len(smsc.parts())
    assert N // 3 <= killed_at < N, "the worker must be killed mid-campaign"

    # The restarted worker takes the receipts the SMSC kept, settles the rows in doubt, and sends the rest.
    env["DANGJIAN_SMS_DOUBT_SECONDS"] = "2"
    env["DANGJIAN_SMPP_WINDOW"] = os.environ["DANGJIAN_SMPP_WINDOW"]  # the fixture's window: no need to be slow now
    second = worker(env)
    deadline = time.monotonic() + 120
    while undelivered() and time.monotonic() < deadline and second.poll() is None:
        time.sleep(0.2)
    second.send_signal(signal.SIGTERM)
    second.wait(30)
    assert_each_once(smsc, {f"137{i:08d}" for i in range(N)})
    assert Message.objects.filter(campaign=c, state=MessageState.DELIVERED).count() == N
    assert Campaign.objects.get(pk=c.pk).state == CampaignState.DONE


def undelivered() -> int:
    """Rows not yet delivered, read from the database the worker writes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sms_message WHERE state <> 'delivered'")
        return cursor.fetchone()[0]
