"""The scheduler: one leader at a time through a lease (a database row or a Redis key); two schedulers, one runs."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from dangjian.core import scheduler
from dangjian.core.models import Lease, SchedulerRun
from dangjian.core.scheduler import DatabaseLease, Job, RedisLease
from tests.conftest import need

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


class Recorder:
    """Stands in for a task: records which scheduler thread enqueued it, and when."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def enqueue(self) -> None:
        with self.lock:
            self.calls.append((threading.current_thread().name, time.monotonic()))


RECORDER = Recorder()
JOBS = [Job("test.every_second", f"{__name__}.RECORDER", every=1)]


def redis_lease(name: str, holder: str, seconds: int) -> RedisLease:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        reachable = True
    except redis.exceptions.ConnectionError:
        reachable = False
    need(reachable, f"Redis at {REDIS_URL}")
    return RedisLease(REDIS_URL, name=name, holder=holder, seconds=seconds)


def database_lease(name: str, holder: str, seconds: int) -> DatabaseLease:
    return DatabaseLease(name=name, holder=holder, seconds=seconds)


@pytest.fixture(params=["database", "redis"])
def make_lease(request, db):
    name = f"test-{uuid.uuid4().hex}"
    made: list = []

    def make(holder: str, seconds: int = 60):
        lease = (database_lease if request.param == "database" else redis_lease)(name, holder, seconds)
        made.append(lease)
        return lease

    yield make
    for lease in made:
        lease.release()


def expire(lease) -> None:
    """Let the lease run out now, as if its holder had stopped renewing it for its whole duration."""
    if isinstance(lease, DatabaseLease):
        Lease.objects.filter(name=lease.name).update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        lease.client.pexpire(lease.key, 1)
        time.sleep(0.01)


def test_only_one_holder_has_the_lease_at_a_time(make_lease):
    a, b = make_lease("a"), make_lease("b")
    assert a.acquire()
    assert not b.acquire()
    assert a.acquire(), "the holder renews its own lease"
    assert not b.acquire()


def test_a_released_lease_goes_to_the_next_scheduler(make_lease):
    a, b = make_lease("a"), make_lease("b")
    assert a.acquire()
    a.release()
    assert b.acquire()
    assert not a.acquire()


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew_it(make_lease):
    a, b = make_lease("a"), make_lease("b")
    assert a.acquire()
    expire(a)
    assert b.acquire()
    assert not a.acquire()
    a.release()  # releasing a lease one no longer holds leaves the new holder's lease alone
    assert not a.acquire() and b.acquire()


def test_a_database_lease_expires_by_its_own_clock(db):
    a = DatabaseLease(name="short", holder="a", seconds=1)
    b = DatabaseLease(name="short", holder="b", seconds=1)
    assert a.acquire() and not b.acquire()
    time.sleep(1.2)
    assert b.acquire() and not a.acquire()


# --- two schedulers --------------------------------------------------------------------------------------------


@pytest.fixture
def two_schedulers(transactional_db, monkeypatch, settings, request):
    """Run `scheduler.serve` in two threads with distinct identities (as two machines would have)."""
    if request.param == "redis":
        redis_lease("probe", "probe", 1)  # skips, or fails in CI, without Redis
        settings.REDIS_URL = REDIS_URL
    else:
        settings.REDIS_URL = ""
    settings.DANGJIAN_SCHEDULER_LEASE_SECONDS = 2
    lease_name = f"test-{uuid.uuid4().hex}"
    monkeypatch.setattr(scheduler, "LEASE_NAME", lease_name)
    monkeypatch.setattr(scheduler, "identity", lambda: threading.current_thread().name)
    monkeypatch.setattr(scheduler, "load_schedule", lambda: JOBS)
    RECORDER.calls.clear()
    stops = {"one": threading.Event(), "two": threading.Event()}

    def run(name: str) -> None:
        try:
            scheduler.serve(tick=0.1, stop=stops[name].is_set)
        finally:
            connections.close_all()

    threads = {name: threading.Thread(target=run, args=(name,), name=name, daemon=True) for name in stops}
    yield threads, stops
    for name, event in stops.items():
        event.set()
        threads[name].join(5)


def enqueued_between(start: float, end: float) -> list[str]:
    return [who for who, at in RECORDER.calls if start <= at < end]


@pytest.mark.parametrize("two_schedulers", ["database", "redis"], indirect=True)
def test_two_schedulers_run_each_job_once_and_the_other_takes_over_when_the_leader_stops(two_schedulers):
    threads, stops = two_schedulers
    for t in threads.values():
        t.start()
    time.sleep(3.5)
    enqueuers = {who for who, _at in RECORDER.calls}
    assert len(enqueuers) == 1, f"exactly one scheduler enqueues the job, not {enqueuers}"
    (leader,) = enqueuers
    count = len(RECORDER.calls)
    assert 2 <= count <= 5, f"one enqueue per one-second slot over 3.5 s, got {count}"
    assert SchedulerRun.objects.get(job="test.every_second").last_slot is not None

    stops[leader].set()
    threads[leader].join(5)
    assert not threads[leader].is_alive()
    handed_over = time.monotonic()
    time.sleep(3)
    follower = "two" if leader == "one" else "one"
    assert set(enqueued_between(handed_over, time.monotonic())) == {follower}, "the stand-by took over the lease"


def test_a_failing_tick_does_not_stop_the_scheduler(db, monkeypatch):
    class FlakyLease:
        holder = "flaky"

        def __init__(self) -> None:
            self.calls = 0

        def acquire(self) -> bool:
            self.calls += 1
            if self.calls == 1:
                raise OperationalError("database is locked")
            return True

        def release(self) -> None:
            pass

    lease = FlakyLease()
    monkeypatch.setattr(scheduler, "make_lease", lambda: lease)
    monkeypatch.setattr(scheduler, "run_due", lambda: [])
    scheduler.serve(tick=0.01, stop=lambda: lease.calls >= 3)
    assert lease.calls == 3
