"""A mail-in server killed with SIGKILL in the middle of a burst loses no letter and stores none twice.

`dangjian mailin` runs in a process of its own on the test's database (reached through DATABASE_URL); an SMTP
client sends a burst of distinct letters the way a sending mail server does: a message not answered 250 is sent
again once the server is back (RFC 5321 §4.5.4.1). The server is killed with SIGKILL after a third of the burst,
started again, and the burst finishes. Every message is then a letter exactly once: the ones answered 250 before
the kill, the ones in flight (rolled back, or committed with the 250 lost: sent again, the copy is refused as a
duplicate and the first stays), and the rest.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from email.mime.text import MIMEText

import pytest
from django.db import connection

from dangjian.supervision.models import Channel
from tests.sms.test_crash import database_url

pytestmark = pytest.mark.django_db(transaction=True)
N = 150


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "DANGJIAN_ENV": "test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dangjian.cli", "mailin", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read().decode()[-2000:] if proc.stderr else "mailin exited")
            time.sleep(0.1)
    pytest.fail("mailin did not start in 60 s")


def _letter(n: int) -> MIMEText:
    msg = MIMEText(f"第{n}封来信：上坑村的路灯坏了，编号{n:05d}。", "plain", "utf-8")
    msg["From"] = f"writer{n}@example.com"
    msg["To"] = "voice@dangjian.localhost"
    msg["Subject"] = f"路灯损坏 {n:05d}"
    return msg


def _letters_stored() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM supervision_letter")
        return [row[0] for row in cursor.fetchall()]


def test_a_mailin_killed_mid_burst_loses_nothing_and_doubles_nothing(tree):
    Channel.objects.create(code="voice", name="民声通道", email="voice@dangjian.localhost", unit=tree["county"])
    port = _free_port()
    server = _serve(port)
    acked, duplicates, retries, killed = set(), set(), 0, False
    n = 0
    client = None
    while n < N:
        try:
            if client is None:
                client = smtplib.SMTP("127.0.0.1", port, timeout=30)
            client.send_message(_letter(n))
            acked.add(n)
            n += 1
        except smtplib.SMTPDataError as exc:
            # 554 "already received": the copy of a letter committed before the kill, whose 250 was lost.
            assert exc.smtp_code == 554, exc
            duplicates.add(n)
            n += 1
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, OSError):
            client = None
            retries += 1
            if server.poll() is not None:
                server = _serve(port)
            else:
                time.sleep(0.1)
            continue
        if not killed and len(acked) >= N // 3:
            # Killed from another thread a moment later, at whatever point of the next message's exchange it is.
            threading.Timer(0.005, os.kill, (server.pid, signal.SIGKILL)).start()
            killed = True
    if client is not None:
        client.quit()
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    titles = _letters_stored()
    assert killed and retries >= 1
    assert sorted(titles) == sorted(f"路灯损坏 {i:05d}" for i in range(N)), "a letter was lost or stored twice"
    assert acked | duplicates == set(range(N))
