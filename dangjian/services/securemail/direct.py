"""Writing an encrypted attachment past the page cache (O_DIRECT), with a fallback where the file system refuses it.

Why: on this project's machines (Firecracker VMs whose memory balloon reports free pages back to the host), a
buffered write of a new file puts it into page-cache pages the guest has not touched lately, and each such page
faults on the host: 105-150 ms of CPU per 100 MB, more than the cipher itself, against 7-14 ms for the same write
with O_DIRECT (docs/benchmarks.md, *fifth session*). An attachment is written once and read rarely, so keeping it
out of the page cache also spares what is hot there. O_DIRECT needs the buffer address, the file offset and the
length aligned to the device's logical block (open(2), "O_DIRECT"; 4096 covers every block size Linux uses): the
ciphertext goes through an aligned staging buffer, and the unaligned tail is written after O_DIRECT is cleared
(fcntl F_SETFL, which Linux allows for O_DIRECT).
"""

from __future__ import annotations

import fcntl
import mmap
import os

ALIGN = 4096
STAGE = 4 * 1024 * 1024


class DirectWriter:
    """A write-only file over `path` (which exists) opened with O_DIRECT; `close()` writes what is left."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_DIRECT)
        self._stage = mmap.mmap(-1, STAGE + ALIGN)  # anonymous maps are page-aligned
        self._view = memoryview(self._stage)
        self._staged = 0

    @classmethod
    def open(cls, path: str) -> DirectWriter | None:
        """The writer, or None where O_DIRECT is missing (not Linux) or the file system refuses it (EINVAL)."""
        if not hasattr(os, "O_DIRECT"):
            return None
        try:
            return cls(path)
        except OSError:
            return None

    def write(self, block: memoryview | bytes) -> int:
        data = memoryview(block)
        while data:
            n = min(len(data), STAGE - self._staged)
            self._view[self._staged : self._staged + n] = data[:n]
            self._staged += n
            data = data[n:]
            if self._staged == STAGE:
                self._flush(STAGE)
        return len(block)

    def _flush(self, upto: int) -> None:
        """Write the staged bytes up to `upto` (aligned) and keep the rest at the start of the stage."""
        written = 0
        while written < upto:
            written += os.write(self._fd, self._view[written:upto])
        rest = self._staged - upto
        self._view[:rest] = self._view[upto : self._staged]
        self._staged = rest

    def close(self) -> None:
        try:
            self._flush(self._staged - self._staged % ALIGN)
            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~os.O_DIRECT)
            self._flush(self._staged)
        finally:
            os.close(self._fd)
            self._view.release()
            self._stage.close()
