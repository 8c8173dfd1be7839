"""Background threads that yield the CPU to the ones a person is waiting on."""

from __future__ import annotations

import os
import sys
import threading

# Linux nice value for decoding and thumbnail threads: on a machine with few cores they would
# otherwise take the CPU from the window's own thread in long turns; a higher nice value lets
# the window's thread run as soon as it has something to do.
BACKGROUND_NICE = 10

_done = threading.local()


def lower_this_threads_priority() -> None:
    """Make the calling thread yield to normal ones (Linux: per-thread nice; elsewhere
    nothing). Cheap to call again on the same thread."""
    if getattr(_done, "lowered", False):
        return
    _done.lowered = True
    # Only Linux gives each thread a nice value of its own: macOS and the BSDs would take the
    # thread id for a process id, and Windows has no setpriority. There threads keep theirs.
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, BACKGROUND_NICE))
    except OSError:
        pass  # not allowed here: the thread keeps its priority
