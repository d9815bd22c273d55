"""Redis going away: the site keeps serving (pages, a citizen's letter, a staff login) and the cache resumes when
Redis is back. A Redis server of the test's own is started and killed; the machine's shared one is never touched."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from dangjian.supervision.models import Channel, Letter
from tests.conftest import need

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def redis_cache(settings):
    need(shutil.which("redis-server") is not None, "redis-server is needed to take a Redis away (Debian: redis-server)")
    port = _free_port()
    proc = _start(port)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,  # as production configures it
        }
    }
    state = {"proc": proc, "port": port}
    yield state
    state["proc"].kill()
    state["proc"].wait(5)


def test_the_site_keeps_serving_while_redis_is_away_and_the_cache_resumes(client, redis_cache, tree, settings):
    Channel.objects.create(code="voice", name="民声通道", addressee="县委", unit=tree["county"])
    cache = caches["default"]
    cache.set("probe", "up")
    assert cache.get("probe") == "up"

    redis_cache["proc"].kill()
    redis_cache["proc"].wait(5)
    assert cache.get("probe") is None  # a miss, not an error
    for url in ("/", "/supervision/", "/data/", "/education/", "/accounts/login/"):
        assert client.get(url).status_code == 200, url
    letter = {"title": "路灯坏了", "body": "上坑村路灯坏了三天。", "category": "complaint", "anonymous": "on"}
    page = client.post(reverse("supervision:write", args=["voice"]), letter)
    assert page.status_code == 200 and Letter.objects.count() == 1

    redis_cache["proc"] = _start(redis_cache["port"])
    cache.set("probe", "back")
    assert cache.get("probe") == "back"
