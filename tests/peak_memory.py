"""Run the photofind CLI and, as it exits, write its peak resident memory (KiB) to the file
named by PHOTOFIND_PEAK_FILE.

Linux's VmHWM is the high-water mark of this process's own memory since it started. The
rusage a parent can read (ru_maxrss) is not: it starts from the parent's size at fork, so a
child of a large test process would look large however little it used.
"""

from __future__ import annotations

import atexit
import os
import resource
import sys


def _peak_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def _write_peak() -> None:
    with open(os.environ["PHOTOFIND_PEAK_FILE"], "w", encoding="ascii") as out:
        out.write(str(_peak_kib()))


if __name__ == "__main__":
    atexit.register(_write_peak)
    from photofind.cli import main

    sys.exit(main(sys.argv[1:]))
