"""Fixtures of the SMS tests: the registry's branches and people, and a loopback SMSC that the project did not write
(the `smpp` npm package's server, installed from tests/sms/smsc/package-lock.json with `npm ci`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.core.signals import request_finished
from django.utils import timezone, translation

from dangjian.core.models import RoleKind
from dangjian.services.registry.models import Person
from dangjian.services.sms import actions
from tests.conftest import need
from tests.services import conftest as services

SMSC_DIR = Path(__file__).parent / "smsc"


@pytest.fixture(autouse=True)
def _english():
    """Messages outside a request in English, so tests can match them; pages follow the request (zh-Hans).

    LocaleMiddleware activates the request's language in the test's own thread and leaves it active after the
    response, so English is activated again when each request finishes."""

    def back_to_english(**kwargs) -> None:
        translation.activate("en")

    request_finished.connect(back_to_english, dispatch_uid="sms-tests-english")
    try:
        with translation.override("en"):
            yield
    finally:
        request_finished.disconnect(dispatch_uid="sms-tests-english")


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings, monkeypatch):
    """Campaigns go out whatever the wall clock says; the quiet-hours test sets the county's hours itself.

    The environment too: a worker started as a process of its own (test_crash) reads it, not this process's
    settings."""
    settings.DANGJIAN_SMS_QUIET_HOURS = "0-0"
    monkeypatch.setenv("DANGJIAN_SMS_QUIET_HOURS", "0-0")


branches, make_person, staff_client = services.branches, services.make_person, services.staff_client


def install_smsc() -> str | None:
    """Install the SMSC's packages once; returns the reason when Node.js or npm is missing."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "Node.js and npm are needed for the loopback SMSC"
    if not (SMSC_DIR / "node_modules" / "smpp").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SMSC_DIR, check=True, capture_output=True)
    return None


@dataclass
class Smsc:
    proc: subprocess.Popen
    port: int
    log: Path

    def lines(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.endswith("}")]

    def parts(self) -> list[dict]:
        """The parts the SMSC took."""
        return [line for line in self.lines() if "throttled" not in line]

    def throttled(self) -> list[str]:
        """The destinations of the submit_sm the SMSC refused with ESME_RTHROTTLED."""
        return [line["throttled"] for line in self.lines() if "throttled" in line]

    def wait_for_parts(self, n: int, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while ((parts := self.parts()) and len(parts) < n and time.monotonic() < deadline) or not parts:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        return self.parts()

    def send_mo(self, mobile: str, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"mo {mobile} {text}\n".encode())
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


def start_smsc(tmp_path: Path, **env: str) -> Smsc:
    reason = install_smsc()
    need(reason is None, reason or "")
    log = tmp_path / f"smsc-{time.monotonic_ns()}.jsonl"
    proc = subprocess.Popen(
        ["node", str(SMSC_DIR / "smsc.js")],
        env={**os.environ, "PORT": "0", "LOG": str(log), "SYSTEM_ID": "dangjian", "PASSWORD": "secret", **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("listening "), line
    return Smsc(proc, int(line.split()[1]), log)


@pytest.fixture
def smsc_factory(tmp_path, monkeypatch):
    started: list[Smsc] = []

    def make(**env: str) -> Smsc:
        smsc = start_smsc(tmp_path, **env)
        started.append(smsc)
        for key, value in {
            "DANGJIAN_SMS_BACKEND": "smpp",
            "DANGJIAN_SMPP_HOST": "127.0.0.1",
            "DANGJIAN_SMPP_PORT": str(smsc.port),
            "DANGJIAN_SMPP_SYSTEM_ID": "dangjian",
            "DANGJIAN_SMPP_PASSWORD": "secret",
            "DANGJIAN_SMPP_SOURCE_ADDR": "10690733",
            "DANGJIAN_SMPP_WINDOW": "20",
            "DANGJIAN_SMPP_RETRIES": "3",
            "DANGJIAN_SMPP_TIMEOUT": "5",
        }.items():
            monkeypatch.setenv(key, value)
        return smsc

    yield make
    for smsc in started:
        smsc.stop()


@pytest.fixture
def smsc(smsc_factory):
    return smsc_factory()


def add_people(branch, n: int, start: int = 0) -> None:
    """n members with distinct mobiles, written in bulk (the registry's actions are tested in its own suite)."""
    Person.objects.bulk_create(
        [
            Person(
                name=f"党员{i}",
                name_pinyin=f"dangyuan{i}",
                name_initials="dy",
                gender="male",
                branch=branch,
                phone=f"137{i:08d}",
                joined_date=date(2015, 7, 1),
                full_member_date=date(2016, 7, 1),
                created_at=timezone.now(),
            )
            for i in range(start, start + n)
        ],
        batch_size=2000,
    )


@pytest.fixture
def secretary(make_user, branches):
    return make_user("sec", (RoleKind.ORG_ADMIN, branches["county"]))


def campaign(secretary, branches, body="会议通知：明天上午九点开会。", **kw):
    c = actions.compose_campaign(
        actor=secretary,
        unit=branches["county"],
        title="通知",
        body=body,
        audience={"unit": branches["county"].pk},
        mandatory=True,
        gateway="smpp",
        **kw,
    )
    return actions.submit_campaign(actor=secretary, campaign=c)


def assert_each_once(smsc, mobiles: set[str], parts: int = 1) -> None:
    seen: dict[str, int] = {}
    for p in smsc.parts():
        seen[p["dst"]] = seen.get(p["dst"], 0) + 1
    assert set(seen) == mobiles
    assert set(seen.values()) == {parts}, "a message was sent twice or lost a part"
