"""One indexer per library: a lock file in the data dir, held while an index run writes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from photofind.core.errors import LibraryBusyError

LOCK_NAME = "indexer.lock"
# The holder's process id is written at the start of the lock file, in at most this many bytes.
PID_BYTES = 32

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import errno
    import msvcrt
    import time

    # How often a process that waits for the lock tries again.
    WAIT_POLL_SECONDS = 1.0

    def _try_lock(fd: int, wait: bool) -> bool:
        """Windows: a byte-range lock (msvcrt) on the byte after the process id, since a
        locked byte cannot be read by the process asking who holds it. Windows has no
        blocking lock, so waiting is trying again. Elsewhere: flock (below)."""
        os.lseek(fd, PID_BYTES, os.SEEK_SET)  # msvcrt locks from the file position
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError as exc:
                if not wait or exc.errno != errno.EACCES:  # EACCES: another process holds it
                    return False
                time.sleep(WAIT_POLL_SECONDS)
            else:
                return True

else:
    import fcntl

    def _try_lock(fd: int, wait: bool) -> bool:
        """Linux, macOS and the other Unixes: flock on the whole file, which blocks while
        waiting. Windows has none: it locks one byte with msvcrt instead (above)."""
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
            raise LibraryBusyError(
                f"this library is already being indexed by process {_holder(fd)}"
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _holder(fd: int) -> str:
    """The process id the lock's holder wrote, as far as it can be read."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = os.read(fd, PID_BYTES).decode("ascii", "replace").strip()
    except OSError:
        holder = ""
    return holder or "another process"
