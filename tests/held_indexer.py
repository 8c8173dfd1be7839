"""`photofind index` in a process of its own that stops after its first batch is written: it
creates the file $PHOTOFIND_HELD_AT and waits for $PHOTOFIND_GO to exist before writing the
rest. A test uses it to change the library while another process is in the middle of a run."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from photofind.cli import main
from photofind.core.index.store import Store

write = Store.write
held = [False]


def write_then_hold(self: Store, *args: object, **kwargs: object) -> None:
    write(self, *args, **kwargs)  # type: ignore[arg-type]
    if not held[0]:
        held[0] = True
        Path(os.environ["PHOTOFIND_HELD_AT"]).touch()
        deadline = time.monotonic() + 120
        while not Path(os.environ["PHOTOFIND_GO"]).exists() and time.monotonic() < deadline:
            time.sleep(0.02)


Store.write = write_then_hold  # type: ignore[method-assign]
sys.exit(main(sys.argv[1:]))
