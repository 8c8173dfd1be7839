"""The log file: fallbacks and failures, written where a user can find them.

Both front ends write to `photofind.log` in the library's data folder, rotated at 1 MB with
three old files kept. The core logs through `logging` and never configures it; a fallback it
takes (a text tower loaded through transformers, a snapshot rebuilt, an export that failed)
is a line here, not silence.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_NAME = "photofind.log"
MAX_BYTES = 1_000_000
KEEP = 3


_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
_handler: logging.Handler | None = None


def log_to_file(data_dir: Path) -> Path | None:
    """Send photofind's log records (INFO and above) to the data folder's log file, instead
    of any folder set before; the file is made with the first record. Returns its path, or
    None when the folder cannot be made (that must not stop the program)."""
    global _handler
    path = data_dir / LOG_NAME
    logger = logging.getLogger("photofind")
    if _handler is not None:
        if Path(getattr(_handler, "baseFilename", "")) == path.absolute():
            return path
        logger.removeHandler(_handler)
        _handler.close()
        _handler = None
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=KEEP, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    _handler.setFormatter(logging.Formatter(_FORMAT))
    logger.setLevel(logging.INFO)
    logger.addHandler(_handler)
    return path
