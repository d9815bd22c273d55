"""Load: gunicorn with several workers under wrk on loopback: public pages, search, open data and the workbench.

The site runs as it is deployed (gunicorn, DEBUG off, static files through WhiteNoise) on a database of its own
loaded with the Huichang demo: a scratch SQLite file, or a scratch PostgreSQL database when DATABASE_URL is set
(with Redis as cache and queue when REDIS_URL is set). Each page's throughput is also given as a ratio to a static
file served by the same stack in the same run, so the figures travel to another machine.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from bench.harness import QUICK, Result, progress

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
WORKERS = max(2, 2 * (os.cpu_count() or 1))
CONNECTIONS = 32
SECONDS = 5 if QUICK else 20

# (name, path, needs a staff session, p95 target in ms)
PAGES = [
    ("home page", "/", False, 200),
    ("open data (数据公开)", "/data/", False, 500),
    ("search 党建", f"/search/?q={quote('党建')}", False, 500),
    ("education library", "/education/", False, 300),
    ("workbench (TOTP-verified staff)", "/work/", True, 300),
]
STATIC = "/static/portal/site.css"
QUIET = ("--log-level", "warning")

SESSION_SNIPPET = """
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from dangjian.core.models import User
user = User.objects.get(username="leader")
device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
s = SessionStore()
s["_auth_user_id"] = str(user.pk)
s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
s["_auth_user_hash"] = user.get_session_auth_hash()
s[DEVICE_ID_SESSION_KEY] = device.persistent_id
s.create()
print("SESSION", s.session_key)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_env(env: dict) -> tuple[dict, callable]:
    """A scratch database for the served site; returns the environment and a function that removes it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        env.pop("DATABASE_URL", None)
        return env, lambda: None
    import psycopg

    name = f"dangjian_load_{os.getpid()}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return env, drop


def _run(env: dict, *args: str) -> str:
    done = subprocess.run([str(BIN / "dangjian"), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"dangjian {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _wait(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} (its log is printed above)")
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def wrk(url: str, *, script: str = "wrk_report.lua", connections: int = CONNECTIONS, threads: int = 2,
        timeout: str = "2s", env: dict | None = None, cookie: str = "") -> dict:  # fmt: skip
    """wrk on loopback with one of bench/'s Lua scripts, which report one JSON line; `env` reaches the script.
    A request unanswered within `timeout` (wrk's default: 2 s) counts as an error."""
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--timeout", timeout, "-s", str(HERE / script),
         url],
        env={**os.environ, "WRK_COOKIE": cookie, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    return json.loads(line.removeprefix("WRK_JSON "))


@contextmanager
def demo_site(prefix: str, *, ready: str = "/", static: bool = False, **extra_env: str):
    """The Huichang demo served by gunicorn as deployed (DEBUG off) on a scratch database; yields its environment
    and base URL, and removes the database and the data directory afterwards."""
    scratch = tempfile.mkdtemp(prefix=prefix)
    env = {
        **os.environ,
        "DANGJIAN_ENV": "development",
        "DANGJIAN_DEBUG": "0",
        "DANGJIAN_DATA_DIR": scratch,
        "DANGJIAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DANGJIAN_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    env, drop = _database_env(env)
    server = None
    try:
        progress("migrating and loading the Huichang demo into a scratch database")
        _run(env, "migrate", "--no-input")
        _run(env, "demo")
        if static:
            _run(env, "collectstatic", "--no-input")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "dangjian.config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", *QUIET],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=None,  # warnings and errors go to the bench's own output; a pipe nobody reads would stall it
        )
        _wait(base + ready, server)
        yield env, base
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop()
        shutil.rmtree(scratch, ignore_errors=True)


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        return [Result("load test", 0, "", "wrk installed", False, "install Debian's wrk package")]
    with demo_site("dangjian-load-", static=True) as (env, base):
        session = _run(env, "shell", "-c", SESSION_SNIPPET).split("SESSION ", 1)[1].strip()
        progress(f"gunicorn with {WORKERS} workers; wrk with {CONNECTIONS} connections for {SECONDS} s per page")
        baseline = wrk(base + STATIC)
        base_rps = baseline["requests"] / baseline["seconds"]
        results = [
            Result("static file (baseline) throughput", base_rps, "req/s", "no errors", baseline["socket_errors"] == 0)
        ]
        for name, path, staff, target_ms in PAGES:
            progress(name)
            found = wrk(base + path, cookie=f"sessionid={session}" if staff else "")
            rps = found["requests"] / found["seconds"]
            errors = found["socket_errors"] + found["bad_status"]
            p95_ms = found["p95"] / 1000
            note = (
                f"p50 {found['p50'] / 1000:.0f} ms, p99 {found['p99'] / 1000:.0f} ms, {rps:,.0f} req/s "
                f"({rps / base_rps:.2f}× the static file), {errors} errors of {found['requests']:,}"
            )
            results.append(
                Result(
                    f"{name}: p95 at {CONNECTIONS} connections",
                    p95_ms,
                    "ms",
                    f"< {target_ms} ms, no errors",
                    p95_ms < target_ms and errors == 0,
                    note,
                )
            )
        return results
