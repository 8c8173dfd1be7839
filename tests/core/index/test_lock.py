"""One indexer per library, across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.core.errors import LibraryBusyError
from photofind.core.index.lock import index_lock

HOLD = """
import sys, time
from pathlib import Path
from photofind.core.index.lock import index_lock
with index_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_second_process_is_told_who_is_indexing(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LibraryBusyError, match=f"process {holder.pid}"), index_lock(tmp_path):
            pass
    finally:
        holder.communicate("\n", timeout=30)
    with index_lock(tmp_path):  # released when the holder ended
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
    holder.kill()
    holder.wait(timeout=30)
    with index_lock(tmp_path):
        assert (tmp_path / "indexer.lock").read_text() == str(os.getpid())
