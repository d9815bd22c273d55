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
