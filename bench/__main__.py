"""Run the benchmarks: `python -m bench [name ...]`. Each runs on a scratch database of its own.

The environment decides the database (DATABASE_URL; default a scratch SQLite file). Results are printed and
written to bench/results.json and to the generated table of docs/benchmarks.md, with the machine and the date.
QUICK=1 runs a small version of each.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.harness import QUICK, Result


def main(argv: list[str]) -> int:
    scratch = tempfile.mkdtemp(prefix="dangjian-bench-")
    os.environ.setdefault("DANGJIAN_DATA_DIR", scratch)
    os.environ.setdefault("DANGJIAN_ENV", "test")
    os.environ["DJANGO_SETTINGS_MODULE"] = "dangjian.config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection

    # A database of its own: a scratch database named for this run on PostgreSQL (never the test suite's `test_…`,
    # which a test run on the same server may be using), a scratch file for SQLite.
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"dangjian_bench_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    call_command("migrate", verbosity=0)
    here = Path(__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")]
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    results = []
    failed = False
    try:
        for i, name in enumerate(wanted, 1):
            module = importlib.import_module(f"bench.{name}")
            print(f"== [{i}/{len(wanted)}] {name}: {module.__doc__.strip().splitlines()[0]}", flush=True)
            started = time.perf_counter()
            try:
                found = list(module.run())
            except Exception as exc:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                found = [Result("benchmark ran", 0, "", "runs", False, f"{type(exc).__name__}: {exc}")]
            for r in found:
                results.append({"bench": name, **r.as_dict()})
                mark = "ok " if r.ok else "MISS"
                print(f"   [{mark}] {r.name}: {r.value:.4g} {r.unit} (target {r.target}) {r.note}", flush=True)
                failed |= not r.ok
            print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        from dangjian.publicity import hits

        hits.discard()  # the benchmarks' page views; their database is about to go
        connection.creation.destroy_test_db(test_db, verbosity=0)
    machine = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}
    run = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine,
        "database": connection.vendor,
        "quick": QUICK,
        "only": argv,
        "results": results,
    }
    if argv:
        print("a partial run (benchmarks named on the command line): bench/results.json is left as it was")
    else:
        report.write_doc(report.store(run))
        print(f"results written to {report.RESULTS} and {report.DOC}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
