"""Serving library files with HTTP range requests (RFC 9110 §14)."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dangjian.education import samples
from dangjian.education.models import Kind, ResourceHit
from dangjian.education.streaming import parse_ranges


@pytest.fixture
def audio(add):
    return add("脐橙栽培讲座", samples.wav(2.0), kind=Kind.AUDIO)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_whole_file_with_accept_ranges(client, audio):
    data = audio.file.open("rb").read()
    response = client.get(reverse("education:file", args=[audio.pk]))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes" and int(response["Content-Length"]) == len(data)
    assert _body(response) == data


def test_single_range_is_206_with_content_range(client, audio):
    data = audio.file.open("rb").read()
    response = client.get(reverse("education:file", args=[audio.pk]), HTTP_RANGE="bytes=100-299")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-299/{len(data)}"
    assert _body(response) == data[100:300]
    tail = client.get(reverse("education:file", args=[audio.pk]), HTTP_RANGE="bytes=-50")
    assert _body(tail) == data[-50:]
    open_end = client.get(reverse("education:file", args=[audio.pk]), HTTP_RANGE="bytes=7000-")
    assert _body(open_end) == data[7000:]


def test_several_ranges_are_multipart(client, audio):
    data = audio.file.open("rb").read()
    response = client.get(reverse("education:file", args=[audio.pk]), HTTP_RANGE="bytes=0-9,20-29")
    assert response.status_code == 206
    assert response["Content-Type"].startswith("multipart/byteranges; boundary=")
    body = _body(response)
    assert int(response["Content-Length"]) == len(body)
    assert data[0:10] in body and data[20:30] in body and f"bytes 20-29/{len(data)}".encode() in body


def test_range_past_the_end_is_416(client, audio):
    response = client.get(reverse("education:file", args=[audio.pk]), HTTP_RANGE=f"bytes={audio.size + 10}-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{audio.size}"


def test_if_range_with_a_stale_validator_gets_the_whole_file(client, audio):
    url = reverse("education:file", args=[audio.pk])
    fresh = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'"{audio.sha256}"')
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"something-else"')
    assert fresh.status_code == 206 and stale.status_code == 200


def test_a_play_is_counted_once_per_playback_not_per_range(client, audio):
    url = reverse("education:file", args=[audio.pk])
    client.get(url, HTTP_RANGE="bytes=0-")
    client.get(url, HTTP_RANGE="bytes=4000-")
    client.get(url, HTTP_RANGE="bytes=6000-7000")
    assert ResourceHit.objects.get(resource=audio, kind="play").count == 1


def test_a_later_range_costs_one_query_that_leaves_the_extracted_text(client, audio, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        response = client.get(reverse("education:file", args=[audio.pk]), HTTP_RANGE="bytes=4000-")
    assert response.status_code == 206
    assert '"text"' not in captured.captured_queries[0]["sql"]


def test_head_has_headers_and_no_body(client, audio):
    response = client.head(reverse("education:file", args=[audio.pk]))
    assert response.status_code == 200 and response["Content-Length"] == str(audio.size)
    assert _body(response) == b""


@given(
    size=st.integers(min_value=1, max_value=5000),
    specs=st.lists(st.tuples(st.integers(0, 6000), st.integers(0, 6000)), min_size=1, max_size=5),
)
def test_parsed_ranges_are_inside_the_file_sorted_and_disjoint(size, specs):
    header = "bytes=" + ",".join(f"{min(a, b)}-{max(a, b)}" for a, b in specs)
    ranges = parse_ranges(header, size)
    assert ranges is not None
    for start, end in ranges:
        assert 0 <= start <= end < size
    for (_, e1), (s2, _) in itertools.pairwise(ranges):
        assert s2 > e1 + 1
    wanted = {i for a, b in specs for i in range(min(a, b), min(max(a, b), size - 1) + 1) if i < size}
    assert {i for s, e in ranges for i in range(s, e + 1)} == wanted


# --- through the servers that run the site --------------------------------------------------------------------


@pytest.fixture
def _keep_connection():
    """Requests outside the test client leave the test's database connection open (as the test client does)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _wsgi(url: str, file_wrapper, **headers: str):
    """The site's WSGI application called as a server calls it, with the server's `wsgi.file_wrapper`."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    environ = RequestFactory().get(url, **headers).environ
    environ["wsgi.file_wrapper"] = file_wrapper
    started = []
    body = WSGIHandler()(environ, lambda status, headers, exc_info=None: started.append((status, dict(headers))))
    return started[0], body


@pytest.fixture
def long_audio(add, _keep_connection):
    """A lecture larger than one streaming chunk, so a range is read in several pieces."""
    from dangjian.education.streaming import CHUNK

    lecture = add("脐橙冬季管护讲座", samples.wav(200.0), kind=Kind.AUDIO)
    assert lecture.size > 2 * CHUNK
    return lecture


def test_a_range_through_the_development_servers_file_wrapper_stops_at_its_end(long_audio):
    from wsgiref.util import FileWrapper

    data = long_audio.file.open("rb").read()
    start, end = 1000, len(data) - 1000
    (status, headers), body = _wsgi(
        reverse("education:file", args=[long_audio.pk]), FileWrapper, HTTP_RANGE=f"bytes={start}-{end - 1}"
    )
    assert status.startswith("206") and headers["Content-Range"] == f"bytes {start}-{end - 1}/{len(data)}"
    assert isinstance(body, FileWrapper)
    got = b"".join(body)
    body.close()
    assert got == data[start:end] and int(headers["Content-Length"]) == len(got)


def test_a_single_range_is_handed_to_gunicorn_for_sendfile_at_its_offset(long_audio):
    import os

    from gunicorn.http.wsgi import FileWrapper
    from gunicorn.util import has_fileno

    (status, headers), body = _wsgi(
        reverse("education:file", args=[long_audio.pk]), FileWrapper, HTTP_RANGE="bytes=300000-"
    )
    assert status.startswith("206") and isinstance(body, FileWrapper)
    # gunicorn sends Content-Length bytes with os.sendfile from the descriptor's current offset.
    assert has_fileno(body.filelike)
    assert os.lseek(body.filelike.fileno(), 0, os.SEEK_CUR) == 300000
    assert int(headers["Content-Length"]) == long_audio.size - 300000
    body.close()


@pytest.fixture
def gunicorn(transactional_db, settings, tmp_path):
    """The site served by gunicorn (as `dangjian serve` runs it in production) on the test database."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    from tests.browser.fixtures import restore_migration_rows

    restore_migration_rows()
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{name}"
    else:
        url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DANGJIAN_ENV": "development",
        "DANGJIAN_DEBUG": "0",
        "DANGJIAN_DATA_DIR": str(tmp_path / "data"),
        "DANGJIAN_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DANGJIAN_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dangjian.config.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not listen within 60 s"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_range_semantics_hold_through_gunicorns_sendfile(gunicorn, add):
    import http.client

    lecture = add("脐橙冬季管护讲座", samples.wav(200.0), kind=Kind.AUDIO)
    data = lecture.file.open("rb").read()
    size = len(data)
    path = reverse("education:file", args=[lecture.pk])

    def get(method: str = "GET", **headers: str):
        conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=30)
        try:
            conn.request(method, path, headers=headers)
            r = conn.getresponse()
            return r.status, r, r.read()
        finally:
            conn.close()

    status, r, body = get()
    assert status == 200 and body == data and r.headers["Accept-Ranges"] == "bytes"
    status, r, body = get(Range="bytes=100-299999")
    assert status == 206 and body == data[100:300000] and r.headers["Content-Range"] == f"bytes 100-299999/{size}"
    assert int(r.headers["Content-Length"]) == len(body)
    status, r, body = get(Range="bytes=500000-")
    assert status == 206 and body == data[500000:]
    status, r, body = get(Range="bytes=-50")
    assert status == 206 and body == data[-50:]
    status, r, body = get(Range="bytes=0-9,20-29")
    assert status == 206 and r.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert data[0:10] in body and data[20:30] in body and int(r.headers["Content-Length"]) == len(body)
    status, r, body = get(Range=f"bytes={size + 10}-")
    assert status == 416 and r.headers["Content-Range"] == f"bytes */{size}"
    status, r, body = get(Range="bytes=0-9", **{"If-Range": f'"{lecture.sha256}"'})
    assert status == 206 and body == data[:10]
    status, r, body = get(Range="bytes=0-9", **{"If-Range": '"something-else"'})
    assert status == 200 and body == data
    status, r, body = get("HEAD", Range="bytes=10-19")
    assert status == 206 and body == b"" and r.headers["Content-Length"] == "10"
