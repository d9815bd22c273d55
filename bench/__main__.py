"""Run the benchmarks: `python -m bench [name ...]`. Each runs on a scratch database of its own.

The environment decides the database (DATABASE_URL; default a scratch SQLite file). Results are printed and
written to bench/results-<date>.json; docs/benchmarks.md records them with the machine and the date.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path


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

    # A database of its own: the test database name for PostgreSQL, a scratch file for SQLite.
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    call_command("migrate", verbosity=0)
    here = Path(__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")]
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    results = []
    failed = False
    try:
        for name in wanted:
            module = importlib.import_module(f"bench.{name}")
            print(f"== {name}: {module.__doc__.strip().splitlines()[0]}", flush=True)
            for r in module.run():
                results.append({"bench": name, **r.as_dict()})
                mark = "ok " if r.ok else "MISS"
                print(f"   [{mark}] {r.name}: {r.value:.4g} {r.unit} (target {r.target}) {r.note}", flush=True)
                failed |= not r.ok
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    out = here / f"results-{stamp}.json"
    machine = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}
    out.write_text(
        json.dumps(
            {"date": stamp, "machine": machine, "database": connection.vendor, "results": results},
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"results written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
