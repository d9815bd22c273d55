"""Encrypted attachments are written past the page cache (O_DIRECT) where the file system allows it."""

from __future__ import annotations

import errno
import os

import pytest

from dangjian.core.crypto import CHUNK
from dangjian.services.securemail import direct
from dangjian.services.securemail.direct import ALIGN, STAGE, DirectWriter


@pytest.mark.parametrize("size", [0, 1, ALIGN - 1, ALIGN, STAGE, STAGE + ALIGN + 1, 3 * STAGE + 5])
def test_a_direct_write_of_unaligned_blocks_stores_every_byte_in_order(tmp_path, size):
    path = tmp_path / "a.part"
    path.touch()
    writer = DirectWriter.open(str(path))
    if writer is None:
        pytest.skip("this file system refuses O_DIRECT")
    data = os.urandom(size)
    block = CHUNK + 17  # a secretstream chunk with its tag: no block is aligned
    for at in range(0, size, block):
        assert writer.write(memoryview(data)[at : at + block]) == len(data[at : at + block])
    writer.close()
    assert path.read_bytes() == data


def test_where_the_file_system_refuses_o_direct_there_is_no_direct_writer(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(direct.os, "open", refuse)
    assert DirectWriter.open(str(tmp_path / "a.part")) is None
