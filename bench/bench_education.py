"""Education: Sunday-class programmes for 250 and 10,000 stations; a video served with range requests vs http.server."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness import Result, progress, scale

#: Bytes of the video and of each range a player asks for.
VIDEO_BYTES = 64 * 1024 * 1024
RANGE_BYTES = 4 * 1024 * 1024
ROUNDS = 7


def _stations(prefix: str, count: int, county_number: int) -> list:
    """`count` station units (under 25 townships of villages) with a profile, industries and requests each."""
    from dangjian.core.actions import child_path
    from dangjian.core.models import Unit, UnitKind
    from dangjian.education.models import Industry, Station

    county = Unit.objects.create(code=f"{prefix}C", name="县", kind=UnitKind.COUNTY, path=child_path("", county_number))
    townships = Unit.objects.bulk_create(
        Unit(code=f"{prefix}T{t}", name=f"乡{t}", kind=UnitKind.TOWNSHIP, parent=county,
             path=child_path(county.path, t)) for t in range(1, 26)
    )  # fmt: skip
    per = -(-count // len(townships))
    villages = Unit.objects.bulk_create(
        [Unit(code=f"{prefix}T{i}V{v}", name=f"村{v}", kind=UnitKind.VILLAGE, parent=t, path=child_path(t.path, v))
         for i, t in enumerate(townships) for v in range(1, per + 1)][:count],
        batch_size=2000,
    )  # fmt: skip
    units = Unit.objects.bulk_create(
        (Unit(code=f"{v.code}S", name="站", kind=UnitKind.STATION, parent=v, path=child_path(v.path, 1))
         for v in villages),
        batch_size=2000,
    )  # fmt: skip
    stations = Station.objects.bulk_create((Station(unit=u, session_minutes=120) for u in units), batch_size=2000)
    industries = list(Industry.objects.values_list("pk", flat=True))
    Station.industries.through.objects.bulk_create(
        (Station.industries.through(station_id=s.pk, industry_id=industries[i % len(industries)])
         for i, s in enumerate(stations)),
        batch_size=5000,
    )  # fmt: skip
    return stations


def _library(n: int) -> list:
    from dangjian.core.actions import child_path
    from dangjian.core.models import Unit, UnitKind
    from dangjian.education.models import Category, Kind, Resource, SeasonRule, Topic

    owner = Unit.objects.create(code="eLIB", name="县委组织部", kind=UnitKind.COUNTY, path=child_path("", 90))
    cat = Category.objects.get(slug="lectures-party")
    resources = Resource.objects.bulk_create(
        Resource(title=f"讲座{i}", kind=Kind.VIDEO, category=cat, unit=owner, file=f"bench/{i}.mp4",
                 content_type="video/mp4", duration=600 + 60 * (i % 40), study_seconds=i)
        for i in range(n)
    )  # fmt: skip
    topics = list(Topic.objects.all())
    Resource.topics.through.objects.bulk_create(
        Resource.topics.through(resource_id=r.pk, topic_id=topics[i % len(topics)].pk) for i, r in enumerate(resources)
    )
    rule = SeasonRule.objects.create(name="冬季管护", months=list(range(1, 13)))
    rule.resources.set(resources[:5])
    return resources


def _requests(stations: list, resources: list) -> None:
    from dangjian.education.models import PlayRequest

    PlayRequest.objects.bulk_create(
        (PlayRequest(station=s, resource=resources[(i * 7 + k) % len(resources)], name="村民")
         for i, s in enumerate(stations) for k in range(3)),
        batch_size=5000,
    )  # fmt: skip


def _programmes(count: int, prefix: str, county_number: int, resources: list, sunday: date) -> Result:
    from dangjian.education import actions
    from dangjian.education.models import ProgrammeItem, Station

    progress(f"{count} stations")
    stations = _stations(prefix, count, county_number)
    _requests(stations, resources)
    qs = Station.objects.filter(unit__code__startswith=prefix)
    t0 = time.perf_counter()
    built = actions.build_programmes(sunday=sunday, stations=qs)
    took = time.perf_counter() - t0
    items = ProgrammeItem.objects.filter(programme__station__in=qs).count()
    return Result(f"programmes for {count:,} stations", took, "s", "< 10 s", took < 10 and built == count,
                  f"{built:,} programmes, {items:,} items")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """The URL of this run's scratch database, for a server in another process."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _wait(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} (its log is printed above)")
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=2).read()  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _serve_app(port: int) -> subprocess.Popen:
    """The site as `dangjian serve` runs it in production: gunicorn's sync workers in processes of their own (so the
    server does not share the benchmark's interpreter with the client), on this run's database and media."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DANGJIAN_ENV": "development",
        "DANGJIAN_DEBUG": "0",
        "DANGJIAN_ALLOWED_HOSTS": "127.0.0.1",
        "DANGJIAN_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "dangjian.config.wsgi", "-w", "2",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=None,
    )  # fmt: skip


def _whole_file_throughput(url: str) -> float:
    """MB/s reading the whole file in one GET: `python -m http.server` answers no Range header (Python 3.11's
    SimpleHTTPRequestHandler sends the whole file with 200), so its best case is the baseline."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url) as r:  # noqa: S310  (loopback)
        assert r.status == 200
        got = len(r.read())
    assert got == VIDEO_BYTES
    return got / 1024 / 1024 / (time.perf_counter() - t0)


def _throughput(url: str) -> float:
    """MB/s reading the whole video in RANGE_BYTES ranges, as a player seeking through it does."""
    t0 = time.perf_counter()
    got = 0
    for start in range(0, VIDEO_BYTES, RANGE_BYTES):
        req = urllib.request.Request(url, headers={"Range": f"bytes={start}-{start + RANGE_BYTES - 1}"})  # noqa: S310
        with urllib.request.urlopen(req) as r:  # noqa: S310  (loopback)
            assert r.status == 206
            got += len(r.read())
    assert got == VIDEO_BYTES
    return got / 1024 / 1024 / (time.perf_counter() - t0)


def _video() -> Result:
    from django.conf import settings

    from dangjian.core.models import Unit
    from dangjian.education.models import Category, Kind, Resource

    media = Path(settings.MEDIA_ROOT)
    (media / "bench").mkdir(parents=True, exist_ok=True)
    path = media / "bench" / "video.mp4"
    with open(path, "wb") as f:
        f.write(os.urandom(VIDEO_BYTES))
    video = Resource.objects.create(
        title="视频", kind=Kind.VIDEO, category=Category.objects.get(slug="lectures-party"),
        unit=Unit.objects.order_by("path").first(), file="bench/video.mp4", content_type="video/mp4",
        size=VIDEO_BYTES, sha256="0" * 64, duration=60,
    )  # fmt: skip
    app_port, base_port = _free_port(), _free_port()
    app = _serve_app(app_port)
    baseline = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(base_port), "--bind", "127.0.0.1",
         "--directory", str(media / "bench")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{app_port}/education/r/{video.pk}/file"
    try:
        _wait(url, app)
        _wait(f"http://127.0.0.1:{base_port}/", baseline)
        # Rounds of one each, side by side, so a burst of other work on the machine weighs on both alike.
        rounds = [
            (_throughput(url), _whole_file_throughput(f"http://127.0.0.1:{base_port}/video.mp4")) for _ in range(ROUNDS)
        ]
    finally:
        for server in (baseline, app):
            server.terminate()
            server.wait(timeout=30)
        path.unlink()
    ratio = statistics.median(ours / theirs for ours, theirs in rounds)
    ours, theirs = (statistics.median(r[i] for r in rounds) for i in (0, 1))
    return Result(
        "video in range requests from gunicorn vs the whole file from python -m http.server", ratio, "×", "≥ 0.5×",
        ratio >= 0.5, f"median of {ROUNDS} rounds; app {ours:.0f} MB/s, http.server {theirs:.0f} MB/s (medians)",
    )  # fmt: skip


def run() -> list[Result]:
    from dangjian.education import queries

    sunday = queries.next_sunday(date(2026, 12, 1))
    resources = _library(400)
    return [
        _programmes(250, "e", 91, resources, sunday),
        _programmes(scale(10_000, 1_000), "f", 92, resources, sunday),
        _video(),
    ]
