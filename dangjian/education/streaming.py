"""Serving a stored file with HTTP range requests (RFC 9110 §14): 206 with Content-Range, multipart/byteranges for
several ranges, If-Range, 416 for a range past the end; the body is read from storage in chunks, never whole.

The whole file or a single range goes out as a `FileResponse` over the span, so a WSGI server's `wsgi.file_wrapper`
sends it: gunicorn (production) with `os.sendfile` from the file's offset for the response's Content-Length, with
no copy through Python; a server without one (the test client, Django's development server) reads it in CHUNK
pieces.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO
from urllib.parse import quote

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe

CHUNK = 256 * 1024
#: More ranges than this in one request are served as the whole file (a defence against range amplification).
MAX_RANGES = 16
_RANGE_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable ranges of a `Range: bytes=…` header as inclusive (start, end), merged and sorted.

    None: the header is absent, malformed or asks for too much, and the whole file is served (RFC 9110 §14.2
    lets a server ignore Range). An empty list: syntactically valid but nothing satisfiable (416).
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not specs:
        return None
    parts = specs.split(",")
    if len(parts) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for part in parts:
        m = _RANGE_SPEC.match(part)
        if m is None or (not m.group(1) and not m.group(2)):
            return None
        first, last = m.group(1), m.group(2)
        if first:
            start = int(first)
            end = int(last) if last else size - 1
            if last and end < start:
                return None
            if start >= size:
                continue
            ranges.append((start, min(end, size - 1)))
        else:
            length = int(last)
            if length == 0 or size == 0:
                continue
            ranges.append((max(0, size - length), size - 1))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _multipart(opener: Callable[[], BinaryIO], ranges: list[tuple[int, int]], parts: list[bytes]) -> Iterator[bytes]:
    """The body of a multipart/byteranges answer: each part's header, then its bytes; then the closing boundary."""
    f = opener()
    try:
        for (start, end), header in zip(ranges, parts, strict=False):
            yield header
            span = _Span(f, start, end - start + 1)
            while chunk := span.read(CHUNK):
                yield chunk
        yield parts[-1]
    finally:
        f.close()


class _Span:
    """Bytes `start` … `start + length - 1` of an open file, read like a file: reads stop at the span's end (a file
    wrapper without sendfile reads until it gets b""), and `fileno` is the file's, positioned at `start`, so
    gunicorn's sendfile starts there and sends Content-Length bytes."""

    def __init__(self, f: BinaryIO, start: int, length: int) -> None:
        f.seek(start)
        self._file = f
        self._left = length

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        chunk = self._file.read(self._left if size is None or size < 0 else min(size, self._left))
        self._left = self._left - len(chunk) if chunk else 0
        return chunk

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


class _SpanResponse(FileResponse):
    block_size = CHUNK


def _if_range_matches(value: str, etag: str, last_modified: datetime | None) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        # Only a strong validator may make a range conditional (RFC 9110 §13.1.5).
        return not value.startswith("W/") and value == etag
    when = parse_http_date_safe(value)
    return when is not None and last_modified is not None and int(last_modified.timestamp()) == when


def serve(
    request: HttpRequest,
    *,
    opener: Callable[[], BinaryIO],
    size: int,
    content_type: str,
    etag: str,
    last_modified: datetime | None = None,
    filename: str = "",
    attachment: bool = False,
) -> HttpResponse:
    """The response for a GET or HEAD of a stored file; `opener` opens it for reading (called only for a body)."""
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "private, max-age=3600"}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified.timestamp())
    if filename:
        disposition = "attachment" if attachment else "inline"
        headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponse(status=304, headers=headers)

    ranges = parse_ranges(request.headers.get("Range", ""), size)
    if (
        ranges is not None
        and "If-Range" in request.headers
        and not _if_range_matches(request.headers["If-Range"], etag, last_modified)
    ):
        ranges = None
    if ranges is not None and not ranges:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})

    head_only = request.method == "HEAD"
    if ranges is None:
        status, length, parts, spans = 200, size, None, [(0, size - 1)] if size else []
        headers["Content-Type"] = content_type
    elif len(ranges) == 1:
        (start, end) = ranges[0]
        status, length, parts, spans = 206, end - start + 1, None, ranges
        headers["Content-Type"] = content_type
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        boundary = secrets.token_hex(12)
        parts = [
            (
                f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {s}-{e}/{size}\r\n\r\n"
            ).encode()
            for s, e in ranges
        ] + [f"\r\n--{boundary}--\r\n".encode()]
        status, spans = 206, ranges
        length = sum(len(p) for p in parts) + sum(e - s + 1 for s, e in ranges)
        headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
    headers["Content-Length"] = str(length)
    if head_only or not spans:
        response = HttpResponse(status=status, headers=headers)
        response["Content-Length"] = str(length)
        return response
    if parts is not None:
        return StreamingHttpResponse(_multipart(opener, spans, parts), status=status, headers=headers)
    (start, end) = spans[0]
    span = _Span(opener(), start, end - start + 1)
    return _SpanResponse(span, status=status, content_type=headers.pop("Content-Type"), headers=headers)
