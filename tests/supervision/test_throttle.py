"""The rate limits of the public forms come from DANGJIAN_SUPERVISION_LIMITS over the defaults, so a benchmark
whose clients all share one address can raise them; a malformed setting is refused loudly, never ignored."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from dangjian.supervision import throttle


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_defaults_hold_without_the_setting(settings):
    settings.DANGJIAN_SUPERVISION_LIMITS = None
    assert throttle.limit("write") == (10, 3600) and throttle.limit("lookup") == (30, 600)


def test_the_setting_raises_one_limit_and_keeps_the_other(settings):
    settings.DANGJIAN_SUPERVISION_LIMITS = {"write": (1000, 60)}
    assert throttle.limit("write") == (1000, 60) and throttle.limit("lookup") == (30, 600)
    request = RequestFactory().post("/")
    assert all(throttle.allow(request, "write") for _ in range(1000))
    assert not throttle.allow(request, "write")


def test_a_lowered_limit_applies_at_once(settings):
    request = RequestFactory().post("/")
    settings.DANGJIAN_SUPERVISION_LIMITS = {"lookup": [2, 600]}
    assert throttle.allow(request, "lookup") and throttle.allow(request, "lookup")
    assert not throttle.allow(request, "lookup")


@pytest.mark.parametrize(
    "value", [{"write": (0, 60)}, {"write": "many"}, {"write": (10,)}, {"writes": (10, 60)}, [("write", 1)]]
)
def test_a_malformed_setting_is_refused(settings, value):
    settings.DANGJIAN_SUPERVISION_LIMITS = value
    with pytest.raises(ImproperlyConfigured):
        throttle.limit("write")


def _settings_in_a_process(value: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(sorted(settings.DANGJIAN_SUPERVISION_LIMITS.items()))"
    env = {**os.environ, "DANGJIAN_SUPERVISION_LIMITS": value}
    return subprocess.run(
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dangjian.config.settings'; "
         f"django.setup(); {code}"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_the_environment_sets_the_limits():
    done = _settings_in_a_process("write=500/60, lookup=40/600")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('lookup', (40, 600)), ('write', (500, 60))]"


def test_a_malformed_environment_value_stops_the_start_with_its_reason():
    done = _settings_in_a_process("write=many")
    assert done.returncode != 0
    assert "DANGJIAN_SUPERVISION_LIMITS: 'write=many' is not name=requests/seconds" in done.stderr


def test_a_malformed_proof_of_work_difficulty_stops_the_start_with_its_reason():
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dangjian.config.settings'; django.setup()"
    env = {**os.environ, "DANGJIAN_SUPERVISION_POW_BITS": "hard"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0 and "DANGJIAN_SUPERVISION_POW_BITS must be a whole number from 0 to 32" in done.stderr
