"""`photofind`: the command line over the core. Its options and output are a contract.

parser and options read the command line, commands and commands_library run it against the
core's Library, output and progress write to the terminal. The core and tqdm are imported
inside the functions that use them, so `photofind search` starts without loading the model's
libraries."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NoReturn

from photofind.cli.commands import COMMANDS
from photofind.cli.output import shown
from photofind.cli.parser import EXIT_USAGE, build_parser, check_args
from photofind.cli.progress import DownloadLine

if TYPE_CHECKING:
    from photofind.core.api import Library

__all__ = ["EXIT_USAGE", "build_parser", "main", "run"]


def run() -> NoReturn:
    """The `photofind` command: `main()`, then an exit that leaves the memory to the system.
    Python would free every object first (the model's weights, the vectors), a fifth of a
    second after the results are out (benchmarks/PROFILE.md §10), so this ends the process
    at once when nothing else is running: the app's Qt objects and any threads still
    working get the ordinary exit. Files are flushed and the log closed first."""
    code = main()
    if _still_working():
        raise SystemExit(code)
    logging.shutdown()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None without a console (pythonw, stdout closed)
                stream.flush()
    except (OSError, ValueError):  # a closed pipe: Python's own exit reports it as always
        raise SystemExit(code) from None
    os._exit(code)


def _still_working() -> bool:
    """The app ran (Qt tears down its own), or a thread or child process is still busy."""
    if "PySide6" in sys.modules:
        return True
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not t.daemon for t in others):
        return True
    children = sys.modules.get("multiprocessing")
    return bool(children and children.active_children())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)

    from photofind.core.api import default_data_dir
    from photofind.core.errors import DownloadCancelled, PhotofindError
    from photofind.logfile import log_to_file

    log_to_file(args.data_dir or default_data_dir())
    download = DownloadLine(sys.stderr)
    try:
        if args.command is None:
            return _open_app(args)
        with _open_library(args, download) as library:
            return COMMANDS[args.command](library, args)
    except DownloadCancelled as exc:
        download.close()
        print(f"photofind: {shown(str(exc))}", file=sys.stderr)
        return 130
    except PhotofindError as exc:
        download.close()
        logging.getLogger(__name__).warning("%s: %s", args.command or "app", exc)
        print(f"photofind: error: {shown(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if download.close():
            print(
                f"photofind: download of {download.ref} interrupted; what arrived is kept and "
                "the next run resumes it",
                file=sys.stderr,
            )
        else:
            print("photofind: interrupted; everything indexed so far is saved", file=sys.stderr)
        return 130


def _open_app(args: argparse.Namespace) -> int:
    try:
        from photofind.gui.app import run_app
    except ImportError:
        print("photofind: error: the desktop app is not available in this build", file=sys.stderr)
        return EXIT_USAGE
    return run_app(data_dir=args.data_dir, model=args.model, device=args.device)


@contextlib.contextmanager
def _open_library(args: argparse.Namespace, download: DownloadLine) -> Iterator[Library]:
    from photofind.core.api import Library, default_data_dir

    library = Library(
        args.data_dir or default_data_dir(), args.model, args.device, download, index=args.index
    )
    try:
        yield library
    finally:
        library.close()
