"""`photofind watch` running in the background, and the summary lines it prints: shared by
the watch tests and benchmarks/watch_rename.py."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence


class WatchProcess:
    def __init__(self, env: dict[str, str], wrapper: Sequence[str] = ()) -> None:
        """`wrapper`: a command that runs the watch command given after it."""
        self.proc = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "photofind", "watch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.last_line_at = time.monotonic()
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self.last_line_at = time.monotonic()
                self._changed.notify_all()

    def summaries(self) -> list[dict[str, int]]:
        """Each finished index run's counts, parsed from "photofind: 0 encoded, 12 reused…"."""
        out = []
        for line in list(self.lines):
            text = line.removeprefix("photofind: ").removeprefix("stopped early; ")
            if " encoded, " in text:
                out.append({k: int(v) for v, k in (p.split(" ", 1) for p in text.split(", "))})
        return out

    def wait_for(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Until `ready()` (checked as lines arrive, and every 0.2 s), the process ends or
        `timeout` passes; returns whether it became ready."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return ready()
                self._changed.wait(min(left, 0.2))
        return True

    def stop(self, timeout: float = 60.0) -> str:
        """End the process (as Ctrl+C or a logout would) and return everything it printed."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return "\n".join(self.lines)
