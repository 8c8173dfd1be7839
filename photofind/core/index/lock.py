"""One indexer per library: a lock file in the data dir, held while an index run writes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from photofind.core.errors import LibraryBusyError

LOCK_NAME = "indexer.lock"

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, wait: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int, wait: bool) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True


@contextlib.contextmanager
def index_lock(data_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the library's indexing lock. Without `wait`, a held lock raises LibraryBusyError
    naming the process that holds it. The OS drops the lock if that process dies, so a crash
    never leaves the library locked."""
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd, wait):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            raise LibraryBusyError(f"this library is already being indexed by process {holder}")
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
