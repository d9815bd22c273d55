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
from tests.supervision.conftest import solved

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
    redis = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": settings.REDIS_CACHE_OPTIONS,  # as production configures it
    }
    settings.CACHES = {"default": redis, "pages": {**redis, "KEY_PREFIX": "pages"}}
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
    page = client.post(reverse("supervision:write", args=["voice"]), {**letter, **solved()})
    assert page.status_code == 200 and Letter.objects.count() == 1

    redis_cache["proc"] = _start(redis_cache["port"])
    cache.set("probe", "back")
    assert cache.get("probe") == "back"


@pytest.fixture
def redis_queue(redis_cache, settings):
    """The task queue (RQ) on the test's own Redis, as the Redis pass configures it on the shared one."""
    if "django_tasks_rq" not in settings.TASKS["default"]["BACKEND"]:
        pytest.skip("the RQ queue is configured when REDIS_URL is set: this runs in the suite's Redis pass")
    url = f"redis://127.0.0.1:{redis_cache['port']}/0"
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 600}}
    return redis_cache


@pytest.mark.django_db(transaction=True)
def test_the_queue_resumes_when_redis_is_back_and_delivers_once(client, redis_queue, tree, caplog):
    """A named letter while Redis is away: stored, its receipt notification waits in the outbox (enqueueing failed
    and was logged); when Redis is back the outbox sweep enqueues it, a worker delivers it, and a second sweep and
    worker deliver nothing more."""
    import django_rq

    from dangjian.core import outbox
    from dangjian.core.models import Notification, NotificationState

    Channel.objects.create(code="voice", name="民声通道", addressee="县委", unit=tree["county"])
    redis_queue["proc"].kill()
    redis_queue["proc"].wait(5)
    letter = {"title": "路灯坏了", "body": "上坑村路灯坏了三天。", "category": "complaint",
              "contact_name": "刘建华", "contact_phone": "13907970000"}  # fmt: skip
    page = client.post(reverse("supervision:write", args=["voice"]), {**letter, **solved()})
    assert page.status_code == 200 and Letter.objects.count() == 1
    receipt = Notification.objects.get(kind="letter.receipt")
    assert receipt.state == NotificationState.PENDING
    assert "could not enqueue notification" in caplog.text

    redis_queue["proc"] = _start(redis_queue["port"])
    assert outbox.sweep()["enqueued"] >= 1

    def work() -> None:
        worker = django_rq.get_worker("default", job_class="django_tasks_rq.Job", worker_class="rq.worker.SimpleWorker")
        worker.work(burst=True)

    work()
    receipt.refresh_from_db()
    assert receipt.state == NotificationState.SENT and receipt.attempts == 1
    outbox.sweep()
    work()
    receipt.refresh_from_db()
    assert receipt.state == NotificationState.SENT and receipt.attempts == 1
