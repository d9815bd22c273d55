"""PostgreSQL crashes and comes back under load: the site answers 503 (never 500) while it is away, serves again
when it is back, and every letter the citizens sent is stored exactly once.

A private cluster of the machine's PostgreSQL binaries (initdb, pg_ctl) in a temporary directory, never the shared
server the suite runs on; the site served by gunicorn with two workers on it; four client threads sending letters
through the API the way a careful client does (a letter answered 503 or not answered is sent again; an "already
received" refusal means the first copy was stored). A third of the way in the cluster is stopped with
`pg_ctl -m immediate` (no shutdown checkpoint: on start it recovers from its write-ahead log, as after a crash), and
started again two seconds later.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import need

N, CLIENTS = 200, 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-3000:] if proc.stderr else "exited") from None
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s")


class Cluster:
    def __init__(self, bin_dir: str) -> None:
        self.bin = Path(bin_dir)
        self.dir = Path(tempfile.mkdtemp(prefix="dangjian-pg-"))
        self.port = _free_port()
        self.user = pwd.getpwnam("postgres")
        os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, user=self.user.pw_uid, group=self.user.pw_gid, cwd=self.dir,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options, "-l",
                  str(self.dir / "log"), "-w", "start")  # fmt: skip

    def crash(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/dangjian"


@pytest.fixture(scope="module")
def cluster():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL fault test: it runs in the suite's PostgreSQL pass (DATABASE_URL=postgres://…)")
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    need(bool(bins), "PostgreSQL's server binaries (initdb, pg_ctl) are needed for a private cluster")
    need(os.geteuid() == 0, "the private cluster runs as the postgres user, which needs root to switch to")
    c = Cluster(os.path.dirname(bins[-1]))
    try:
        c.init()
        c.start()
        subprocess.run([str(c.bin / "createdb"), "-h", "127.0.0.1", "-p", str(c.port), "-U", "postgres", "dangjian"],
                       check=True)  # fmt: skip
        yield c
    finally:
        c.destroy()


def _env(c: Cluster) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    return {**env, "DATABASE_URL": c.url, "DANGJIAN_ENV": "development", "DANGJIAN_TRUSTED_PROXIES": "127.0.0.1"}


SETUP = """
from dangjian.core import actions
from dangjian.core.models import UnitKind
from dangjian.supervision.models import Channel
county = actions.create_unit(actor=None, code="360733", name="会昌县", kind=UnitKind.COUNTY, parent=None)
Channel.objects.create(code="voice", name="民声通道", unit=county)
"""


def _titles(c: Cluster) -> list[str]:
    out = subprocess.run(
        [str(c.bin / "psql"), "-h", "127.0.0.1", "-p", str(c.port), "-U", "postgres", "-d", "dangjian", "-At", "-c",
         "SELECT title FROM supervision_letter"], check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [line for line in out.splitlines() if line]


def test_the_site_survives_a_postgres_crash_under_load_and_every_letter_is_stored_once(cluster):
    env = _env(cluster)
    python = [sys.executable, "-m", "dangjian.cli"]
    subprocess.run([*python, "migrate", "--no-input"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*python, "shell", "-c", SETUP], env=env, check=True)
    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dangjian.config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--timeout", "60"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def send(n: int) -> None:
        body = json.dumps({"channel": "voice", "title": f"路灯 {n:04d}", "body": f"第{n}封：路灯坏了。",
                           "anonymous": True}).encode()  # fmt: skip
        for attempt in range(1000):
            # A fresh address per attempt: the retries of one letter must not run into the per-address limit.
            address = f"10.{n % 250}.{attempt % 250}.{1 + n // 250}"
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/letters", data=body, method="POST",
                headers={"Content-Type": "application/json", "X-Forwarded-For": address},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http on loopback
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
                if status == 400 and "已经收到" not in exc.read().decode():
                    status = -400  # refused for another reason: a defect
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status = 0
            with lock:
                statuses[status] += 1
            if status in (201, 400, -400):
                done.release()
                return
            time.sleep(0.2)
        raise AssertionError(f"letter {n} never got through: {dict(statuses)}")

    def client(k: int) -> None:
        for n in range(k, N, CLIENTS):
            send(n)

    try:
        _wait_port(port, web)
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for _ in range(N // 3):
            assert done.acquire(timeout=120), f"the load stalled: {dict(statuses)}"
        cluster.crash()
        time.sleep(2)
        cluster.start()
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads), f"clients still waiting: {dict(statuses)}"
    finally:
        web.terminate()
        web.wait(30)
    titles = _titles(cluster)
    assert statuses[500] == 0 and statuses[-400] == 0, dict(statuses)
    assert statuses[503] + statuses[0] >= 1, f"the outage was never seen: {dict(statuses)}"
    assert sorted(titles) == [f"路灯 {n:04d}" for n in range(N)], "a letter was lost or stored twice"
