"""The WSGI entry point: what a web process has loaded before its first request is kept out of the collector."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_web_process_freezes_what_it_loaded_before_serving():
    code = (
        "import gc, dangjian.config.wsgi as w; "
        "print(gc.get_freeze_count(), sum(gc.get_count()), callable(w.application))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.config.settings"},
    ).stdout.split()
    frozen, young, app = int(out[0]), int(out[1]), out[2]
    assert app == "True"
    assert frozen > 100_000  # Django, Wagtail and the rest: frozen, not walked by each full collection
    assert young < 1_000
