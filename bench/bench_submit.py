"""Letters: anonymous submissions through the web form under gunicorn, 64 concurrent clients, none lost.

The issue's figure is for SQLite on this 2-core machine: at least 300 letters a second. The site runs as deployed
(gunicorn, DEBUG off) on a scratch database loaded with the Huichang demo; wrk POSTs the 民声通道 form with one
CSRF token pair, each letter with a title and body of its own (the duplicate check refuses repeats), with the
per-address rate limit raised through DANGJIAN_SUPERVISION_LIMITS, since every client comes from 127.0.0.1. After
the run every receipt page wrk received must have its letter in the database ("none lost"), and no answer may be
an error. The baseline, measured by the same stack in the same run, is the GET of the same form.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

from bench.bench_load import SECONDS, WORKERS, _run, demo_site, wrk
from bench.harness import QUICK, Result, progress

CLIENTS = 64
THREADS = 2
#: Solved challenges prepared for wrk: more than the letters it can send in the run.
CHALLENGES = 6_000 if QUICK else 20_000
SOLVE = (
    "from dangjian.supervision import pow\n"
    "with open({path!r}, 'w') as out:\n"
    "    for _ in range({n}):\n"
    "        c = pow.issue()\n"
    "        out.write(f'{{c}} {{pow.solve(c)}}\\n')\n"
)
CHANNEL = "voice"
TITLE = "基准测试来信"
COUNT = (
    "from dangjian.supervision.models import Letter; "
    f"print('COUNT', Letter.objects.filter(title__startswith={TITLE!r}).count())"
)


def _csrf(url: str) -> tuple[str, str]:
    """The CSRF cookie and the form's token from one GET of the form (Django accepts the pair again and again)."""
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (loopback)
        page = answer.read().decode()
        cookies = answer.headers.get_all("Set-Cookie") or []
    cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("the write form has no CSRF token")
    return cookie, token.group(1)


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        return [Result("submission load test", 0, "", "wrk installed", False, "install Debian's wrk package")]
    # The server checks the proof of work the same way at any difficulty; 8 bits let this process solve the
    # challenges for wrk beforehand (wrk's Lua has no SHA-256).
    limits = {"DANGJIAN_SUPERVISION_LIMITS": "write=10000000/3600", "DANGJIAN_SUPERVISION_POW_BITS": "8"}
    with demo_site("dangjian-submit-", ready=f"/supervision/{CHANNEL}/write/", **limits) as (env, base):
        form_url = f"{base}/supervision/{CHANNEL}/write/"
        cookie, token = _csrf(form_url)
        before = int(_run(env, "shell", "-c", COUNT).split("COUNT ", 1)[1])
        solved = Path(env["DANGJIAN_DATA_DIR"]) / "pow.txt"
        _run(env, "shell", "-c", SOLVE.format(n=CHALLENGES, path=str(solved)))
        progress(f"gunicorn with {WORKERS} workers; wrk with {CLIENTS} clients for {SECONDS} s")
        baseline = wrk(form_url, connections=CLIENTS, timeout="10s", cookie=cookie)
        base_rps = baseline["requests"] / baseline["seconds"]
        fixed = {"category": "suggestion", "anonymous": "on", "is_public": "on", "website": ""}
        fields = urlencode({"csrfmiddlewaretoken": token, **fixed})
        found = wrk(
            form_url,
            script="wrk_submit.lua",
            connections=CLIENTS,
            threads=THREADS,
            timeout="10s",
            env={
                "WRK_FORM": fields,
                "WRK_COOKIE": cookie,
                "WRK_TITLE": quote(TITLE),
                "WRK_POW": str(solved),
                "WRK_THREADS": str(THREADS),
            },
        )
        time.sleep(2)  # requests still in a worker when wrk stopped finish and are counted too
        stored = int(_run(env, "shell", "-c", COUNT).split("COUNT ", 1)[1]) - before
        rate = found["ok"] / found["seconds"]
        errors = found["socket_errors"] + found["bad_status"]
        lost = max(0, found["ok"] - stored)
        note = (
            f"{found['ok']:,} receipts in {found['seconds']:.1f} s, {stored:,} letters stored, {errors} errors; "
            f"p50 {found['p50'] / 1000:.0f} ms, p95 {found['p95'] / 1000:.0f} ms; the form's GET {base_rps:,.0f} req/s "
            f"({rate / base_rps:.2f}×)"
        )
        # Letters wrk did not see answered (in flight when it stopped) may be stored too, at most one per client.
        unexpected = stored - found["ok"] > CLIENTS
        return [
            Result(
                f"anonymous letters through the web form, {CLIENTS} clients",
                rate,
                "letters/s",
                "≥ 300 on SQLite, none lost, no errors",
                rate >= 300 and lost == 0 and errors == 0 and not unexpected,
                note,
            ),
            Result("letters lost (receipt given, letter not stored)", lost, "", "0", lost == 0, note),
        ]
