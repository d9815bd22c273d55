"""The scheduler: enqueues the periodic jobs of config/schedule.py, one scheduler at a time on any number of machines.

Only the holder of a lease (a row in the database, or a Redis key when REDIS_URL is set) enqueues. Each job's
last enqueued slot is recorded with a conditional update, so a slot is enqueued once even if two schedulers
overlap while a lease changes hands, and a scheduler that was down catches up each missed job once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core.models import Lease, SchedulerRun

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LEASE_NAME = "scheduler"


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    every: int | None = None
    daily_at: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name}: give exactly one of every= or daily_at=")

    def slot(self, now: datetime) -> datetime:
        """The start of the slot `now` falls in."""
        if self.every is not None:
            ts = int(now.timestamp()) // self.every * self.every
            return datetime.fromtimestamp(ts, tz=UTC)
        hour, minute = (int(x) for x in self.daily_at.split(":"))  # type: ignore[union-attr]
        local = now.astimezone(SHANGHAI)
        at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if at > local:
            at -= timedelta(days=1)
        return at.astimezone(UTC)


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DatabaseLease:
    def __init__(self, name: str = LEASE_NAME, holder: str | None = None, seconds: int | None = None):
        self.name, self.holder = name, holder or identity()
        self.seconds = seconds or settings.DANGJIAN_SCHEDULER_LEASE_SECONDS

    def acquire(self) -> bool:
        """Take or renew the lease; False while another live holder has it."""
        now = timezone.now()
        expires = now + timedelta(seconds=self.seconds)
        taken = Lease.objects.filter(name=self.name).filter(holder=self.holder).update(
            expires_at=expires
        ) or Lease.objects.filter(name=self.name, expires_at__lt=now).update(holder=self.holder, expires_at=expires)
        if taken:
            return True
        try:
            with transaction.atomic():
                Lease.objects.create(name=self.name, holder=self.holder, expires_at=expires)
            return True
        except IntegrityError:
            return False

    def release(self) -> None:
        Lease.objects.filter(name=self.name, holder=self.holder).delete()


class RedisLease:
    def __init__(self, url: str, name: str = LEASE_NAME, holder: str | None = None, seconds: int | None = None):
        import redis

        self.client = redis.Redis.from_url(url)
        self.key = f"dangjian:lease:{name}"
        self.holder = holder or identity()
        self.ms = 1000 * (seconds or settings.DANGJIAN_SCHEDULER_LEASE_SECONDS)
        # Renew only if we still hold it: compare and extend atomically.
        self._renew = self.client.register_script(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
            "else return 0 end"
        )
        self._release = self.client.register_script(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
        )

    def acquire(self) -> bool:
        if self._renew(keys=[self.key], args=[self.holder, self.ms]):
            return True
        return bool(self.client.set(self.key, self.holder, nx=True, px=self.ms))

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.holder])


def make_lease(holder: str | None = None, seconds: int | None = None):
    if settings.REDIS_URL:
        return RedisLease(settings.REDIS_URL, holder=holder, seconds=seconds)
    return DatabaseLease(holder=holder, seconds=seconds)


def load_schedule() -> list[Job]:
    from dangjian.config.schedule import SCHEDULE

    return SCHEDULE


def run_due(now: datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued yet; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs if jobs is not None else load_schedule():
        slot = job.slot(now)
        with transaction.atomic():
            run, created = SchedulerRun.objects.get_or_create(
                job=job.name, defaults={"last_slot": slot, "last_enqueued_at": now}
            )
            if not created and not SchedulerRun.objects.filter(pk=run.pk, last_slot__lt=slot).update(
                last_slot=slot, last_enqueued_at=now
            ):
                continue
            task = import_string(job.task)
            transaction.on_commit(task.enqueue)
        enqueued.append(job.name)
        logger.info("scheduler enqueued %s for slot %s", job.name, slot.isoformat())
    return enqueued


def serve(tick: float = 5.0, stop=None) -> None:
    """Loop until `stop()` is true: hold the lease, enqueue due jobs; stand by while another scheduler leads."""
    lease = make_lease()
    leading = False
    try:
        while not (stop and stop()):
            try:
                has = lease.acquire()
                if has != leading:
                    logger.info("scheduler %s %s the lease", lease.holder, "took" if has else "lost")
                    leading = has
                if has:
                    run_due()
            except Exception:
                # A database or Redis hiccup (a lock timeout, a failover) costs one tick, not the scheduler: the
                # lease is kept until it expires, and a slot missed now is caught up on the next tick.
                logger.exception("scheduler %s: tick failed, retrying", lease.holder)
            deadline = time.monotonic() + tick
            while time.monotonic() < deadline and not (stop and stop()):
                time.sleep(min(0.5, tick))
    finally:
        if leading:
            lease.release()
