"""Zip containers nobody vouches for (.xlsx, .docx, .epub): judged by what their members claim, before any is unpacked.

A zip bomb is small and unpacks to gigabytes. Python's zipfile never unpacks more of a member than the member claims
(`ZipExtFile` stops at its `file_size` and checks the CRC), so the claimed sizes bound what a reader of the archive
can be made to hold: an archive whose claims are too large, or whose members pack far better than documents do, is
refused unread.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable

#: A member larger than `RATIO_FLOOR` unpacking to more than `MAX_RATIO` times its packed size is a bomb: the XML of
#: real workbooks and documents packs 10 to 20 times, pictures and media hardly at all.
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024


def is_bomb(members: Iterable[zipfile.ZipInfo], *, max_unpacked: int) -> bool:
    """Whether the members claim more than `max_unpacked` bytes together, or one of them packs like a bomb."""
    members = list(members)
    if sum(m.file_size for m in members) > max_unpacked:
        return True
    return any(m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members)
