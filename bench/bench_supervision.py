"""Supervision: the staff queue page at 1,000,000 letters against 10,000, the morning deadline sweep over open letters.

Letters are written straight into the table (bulk_create, as dangjian.portal.scale does); what is measured is what
staff and the 09:00 sweep do with them. Each figure is also given as a ratio to the same measure at the small size
in the same run. Anonymous submissions through the web stack (64 concurrent clients) are not measured here yet.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from bench.harness import Result, p95, progress, scale, timings

SMALL, BIG = scale(10_000, 2_000), scale(1_000_000, 50_000)
#: Letters per size that need the sweep's attention (due on the next working day, or newly late).
TOUCHED = 200
BATCH = 5000


def _setup():
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dangjian.core import actions as core_actions
    from dangjian.core.models import Role, RoleKind, UnitKind, User
    from dangjian.supervision.models import Channel

    county = core_actions.create_unit(actor=None, code="SUP", name="县", kind=UnitKind.COUNTY, parent=None)
    townships = [
        core_actions.create_unit(actor=None, code=f"SUPT{i}", name=f"镇{i}", kind=UnitKind.TOWNSHIP, parent=county)
        for i in range(20)
    ]
    channels = [
        Channel.objects.create(code=code, name=name, addressee=name, unit=county, position=i)
        for i, (code, name) in enumerate(
            (("b-secretary", "书记信箱"), ("b-county-head", "县长信箱"), ("b-voice", "民声通道"))
        )
    ]  # fmt: skip
    office = User.objects.create(username="sup-bench-office")
    Role.objects.create(user=office, kind=RoleKind.SUPERVISION_OFFICE, unit=county)
    for i, township in enumerate(townships):
        responder = User.objects.create(username=f"sup-bench-resp{i}")
        Role.objects.create(user=responder, kind=RoleKind.RESPONDER, unit=township)
        head = User.objects.create(username=f"sup-bench-head{i}")
        Role.objects.create(user=head, kind=RoleKind.UNIT_HEAD, unit=township)
    device = TOTPDevice.objects.create(user=office, name="bench", confirmed=True)
    return county, townships, channels, office, (DEVICE_ID_SESSION_KEY, device.persistent_id)


def _letters(start: int, stop: int, *, townships, channels, now: datetime, rng: random.Random, open_only: bool) -> None:
    """Letters `start`..`stop` received over the last two years, already swept (flags set) as on a live system.

    `open_only`: every letter still open (the sweep's worst case); otherwise the usual mix, most of them closed."""
    from django.db import transaction

    from dangjian.core import calendar
    from dangjian.supervision.actions import due_date
    from dangjian.supervision.models import Letter, Status

    open_statuses = [Status.DISPATCHED, Status.FOLLOWED_UP, Status.AWAITING_SIGNOFF]
    mix = [Status.CLOSED] * 5 + [Status.ANSWERED] * 2 + [Status.FOLLOWED_UP, Status.DISPATCHED, Status.RECEIVED]
    dues: dict[tuple[int, int], tuple[datetime, datetime]] = {}
    base = now.astimezone(calendar.SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
    batch: list[Letter] = []
    for i in range(start, stop):
        channel = channels[i % len(channels)]
        days = rng.randrange(30, 730)
        received = base - timedelta(days=days, minutes=rng.randrange(600))
        key = (channel.pk, days)
        if key not in dues:
            day = base - timedelta(days=days)
            dues[key] = (
                due_date(channel, day, channel.first_response_days),
                due_date(channel, day, channel.result_days),
            )
        first_due, result_due = dues[key]
        status = rng.choice(open_statuses if open_only else mix)
        finished = status in (Status.ANSWERED, Status.CLOSED)
        answered = received + timedelta(days=rng.randrange(1, 20)) if finished else None
        followed = (
            received + timedelta(days=rng.randrange(1, 4))
            if status != Status.DISPATCHED and status != Status.RECEIVED
            else None
        )
        batch.append(
            Letter(
                channel=channel, title=f"关于道路维修的问题（{i}）", body="反映道路破损问题，请予核查。",
                category="complaint", receipt_hash=f"{i:064x}", content_hash=f"{i:064x}",
                unit=townships[i % len(townships)] if status != Status.RECEIVED else channel.unit,
                status=status, received_at=received, is_anonymous=i % 3 == 0,
                dispatched_at=received + timedelta(hours=4) if status != Status.RECEIVED else None,
                first_response_due=first_due, result_due=result_due,
                first_response_at=followed or answered, answered_at=answered,
                published_at=answered, closed_at=answered if status == Status.CLOSED else None,
                # Past deadlines were chased on earlier mornings; the sweep's flags say so.
                first_reminded=True, result_reminded=True, first_chased=True, result_chased=True,
            )
        )  # fmt: skip
        if len(batch) == BATCH:
            with transaction.atomic():
                Letter.objects.bulk_create(batch)
            batch = []
            if (i + 1) % 100_000 < BATCH:
                progress(f"{i + 1:,} letters")
    with transaction.atomic():
        Letter.objects.bulk_create(batch)


def _fresh(n: int, tag: str, *, townships, channels, now: datetime) -> None:
    """`n` open letters the sweep must act on: half due on the next working day, half just past their deadline."""
    from dangjian.core import calendar
    from dangjian.supervision.models import Letter, Status

    today = now.astimezone(calendar.SHANGHAI).date()
    tomorrow = calendar.add_workdays(today, 1)
    soon = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 23, 59, 59, tzinfo=calendar.SHANGHAI)
    missed = now - timedelta(hours=10)
    rows = []
    for i in range(n):
        due = soon if i % 2 else missed
        rows.append(
            Letter(
                channel=channels[0], title=f"待办信件{tag}{i}", body="请尽快答复。", category="complaint",
                receipt_hash=f"{tag}{i:063x}"[:64], content_hash=f"{tag}{i:063x}"[:64],
                unit=townships[i % len(townships)], status=Status.DISPATCHED,
                received_at=now - timedelta(days=20), dispatched_at=now - timedelta(days=20),
                first_response_due=due, result_due=due + timedelta(days=12),
            )
        )  # fmt: skip
    Letter.objects.bulk_create(rows)


def _analyze() -> None:
    """Table statistics as a live PostgreSQL has them: autovacuum analyses a table once a tenth of it has changed,
    but a bulk load measured a moment later would be planned with no statistics at all (a sort of every late
    letter instead of a walk down the received_at index: 65 ms against 0.2 ms, EXPLAIN ANALYZE, 50,000 letters)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE supervision_letter")


def _queue_p95(client, query: str = "") -> float:
    url = "/work/supervision/" + query

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    return p95(timings(get, repeat=scale(60, 30)))


def _sweep(now: datetime) -> tuple[float, int, int]:
    from dangjian.supervision.actions import sweep_deadlines

    t0 = time.perf_counter()
    done = sweep_deadlines(now=now)
    return time.perf_counter() - t0, done.reminded, done.chased


def run() -> list[Result]:
    from django.test import Client

    from dangjian.core import calendar
    from dangjian.supervision.models import Letter

    _county, townships, channels, office, (device_key, device_id) = _setup()
    client = Client()
    client.force_login(office)
    session = client.session
    session[device_key] = device_id
    session.save()
    rng = random.Random(3)
    # 09:00 on a working day, as the scheduler runs the sweep.
    day = datetime(2026, 11, 25, 9, 0, tzinfo=calendar.SHANGHAI)
    while not calendar.is_workday(day.date()):
        day += timedelta(days=1)
    now = day
    kw = {"townships": townships, "channels": channels, "now": now}
    results = []

    # The queue page: the usual mix of letters (most closed), 10,000 then 1,000,000 in the table.
    progress(f"{SMALL:,} letters")
    _letters(0, SMALL, rng=rng, open_only=False, **kw)
    _analyze()
    for q in ("", "?q=late", "?q=all&page=3"):  # templates compiled, caches filled: the baseline is not the first
        client.get("/work/supervision/" + q)
    small = {q: _queue_p95(client, q) for q in ("", "?q=late", "?q=all&page=3")}
    progress(f"{BIG - SMALL:,} more letters")
    _letters(SMALL, BIG, rng=rng, open_only=False, **kw)
    _analyze()
    big = {q: _queue_p95(client, q) for q in small}
    progress(", ".join(f"queue{q or ' '}: {small[q] * 1000:.1f} → {big[q] * 1000:.1f} ms" for q in small))
    for q, label in (("", "all letters, first page"), ("?q=late", "late letters"), ("?q=all&page=3", "page 3")):
        t_s, t_b = small[q], big[q]
        ratio = t_b / t_s
        results.append(Result(f"staff queue ({label}) p95 at {BIG:,} letters", t_b * 1000, "ms", "< 100 ms",
                              t_b < 0.1, "office user, whole county"))  # fmt: skip
        results.append(Result(f"staff queue ({label}) p95 ratio, {BIG:,} / {SMALL:,}", ratio, "×", "≤ 1.5×",
                              ratio <= 1.5, f"{SMALL:,}: {t_s * 1000:.1f} ms"))  # fmt: skip

    # The deadline sweep: a table of open letters only (its worst case), small then big, each with the same
    # TOUCHED letters to remind or chase; the time should follow those, not the table.
    # A raw DELETE: these rows have no related rows, and the ORM's collector would bind a million primary keys.
    Letter.objects.all()._raw_delete(Letter.objects.db)
    progress(f"{SMALL:,} open letters")
    _letters(0, SMALL, rng=rng, open_only=True, **kw)
    _fresh(TOUCHED, "a", **kw)
    _analyze()
    t_small, *_counts = _sweep(now)
    t_idle_small = p95(timings(lambda: _sweep(now), repeat=5, warmup=1))
    progress(f"{BIG - SMALL:,} more open letters")
    _letters(SMALL, BIG, rng=rng, open_only=True, **kw)
    _fresh(TOUCHED, "b", **kw)
    _analyze()
    t_big, reminded, chased = _sweep(now)
    t_idle = p95(timings(lambda: _sweep(now), repeat=5, warmup=1))
    acted = reminded + chased == TOUCHED
    results.append(Result(f"deadline sweep over {BIG:,} open letters", t_big, "s", "< 2 s", t_big < 2 and acted,
                          f"{reminded} reminded, {chased} chased; idle re-run p95 {t_idle * 1000:.0f} ms"))  # fmt: skip
    ratio = t_big / t_small
    results.append(Result(f"deadline sweep ratio, {BIG:,} / {SMALL:,} open letters", ratio, "×",
                          "≤ 2× (does not scan the table)", ratio <= 2,
                          f"{SMALL:,}: {t_small * 1000:.0f} ms, {TOUCHED} letters acted on at each size"))  # fmt: skip
    ratio = t_idle / t_idle_small
    results.append(Result(f"idle deadline sweep (nothing due) ratio, {BIG:,} / {SMALL:,} open letters", ratio, "×",
                          "≤ 2× (does not scan the table)", ratio <= 2,
                          f"{BIG:,}: {t_idle * 1000:.0f} ms, {SMALL:,}: {t_idle_small * 1000:.0f} ms"))  # fmt: skip
    return results
