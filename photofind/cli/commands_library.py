"""The commands that look after the library: `index`, `watch`, `status` and `folders`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from photofind.cli.output import json_path, json_text, shown
from photofind.cli.progress import ProgressBar

if TYPE_CHECKING:
    from photofind.core.api import FolderWatcher, IndexCounts, IndexProgress, Library, Scope


def cmd_index(library: Library, args: argparse.Namespace) -> int:
    library.add_folders(args.folders)
    counts = _run_index(library)
    if args.json:
        print(json.dumps(counts.as_dict()))
    return 0


def _run_index(
    library: Library, settle_seconds: float = 0.0, only: list[Scope] | None = None
) -> IndexCounts:
    cancel = threading.Event()
    bar = ProgressBar(sys.stderr)
    last: IndexProgress | None = None
    with _cancel_on_signals(cancel):
        for last in _index_steps(library, cancel, settle_seconds, only):
            bar.update(last)
    bar.close()
    assert last is not None
    c = last.counts
    summary = (
        f"{c.encoded} encoded, {c.reused} reused, {c.unchanged} unchanged, "
        f"{c.removed} removed, {c.failed} failed"
    )
    if c.texts:
        summary += f"; read the text in {c.texts} photo{'s' if c.texts != 1 else ''}"
    if last.cancelled:
        summary = "stopped early; " + summary
    print(f"photofind: {summary}", file=sys.stderr)
    if c.failed:
        print("photofind: see 'photofind status --failed' for the reasons", file=sys.stderr)
    return c


def _index_steps(
    library: Library, cancel: threading.Event, settle_seconds: float, only: list[Scope] | None
) -> Iterator[IndexProgress]:
    """Index; if another process (the app, a `watch`) is indexing, say so and wait our turn."""
    from photofind.core.errors import LibraryBusyError

    try:
        yield from library.index(cancel=cancel, settle_seconds=settle_seconds, only=only)
    except LibraryBusyError as exc:
        print(f"photofind: {exc}; waiting for it to finish…", file=sys.stderr)
        yield from library.index(
            cancel=cancel, settle_seconds=settle_seconds, wait_for_lock=True, only=only
        )


@contextlib.contextmanager
def _cancel_on_signals(cancel: threading.Event) -> Iterator[None]:
    """First Ctrl+C (or SIGTERM) stops indexing after the current batch is saved; a second
    Ctrl+C interrupts at once."""

    def stop(signum: int, _frame: object) -> None:
        if cancel.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        cancel.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def cmd_status(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.api import resolve_device

    status = {**library.status(), "device": resolve_device(library.device)}
    if args.failed:
        status["failures"] = [
            {**json_path(p), "reason": json_text(r)} for p, r in library.failures()
        ]
    if args.json:
        print(json.dumps(status))
        return 0
    print(f"Photos indexed: {status['photos']}")
    print(f"Failed:         {status['failed']}")
    print(f"Pending:        {status['pending']}")
    print(f"Model:          {status['model']} (on {status['device']})")
    print(f"Data folder:    {shown(str(library.data_dir))}")
    print(
        "Folders:"
        if status["folders"]
        else "Folders:        none yet; add one with 'photofind index FOLDER'"
    )
    for folder in status["folders"]:  # type: ignore[attr-defined]
        print(f"  {shown(folder)}")
    for failure in status.get("failures", []):  # type: ignore[attr-defined]
        print(f"  failed: {shown(failure['path'])}: {shown(failure['reason'])}")
    return 0


def cmd_folders(library: Library, args: argparse.Namespace) -> int:
    if args.action == "add":
        (path,) = library.add_folders([args.path])
        print(f"Added {shown(path)}; run 'photofind index' or 'photofind watch' to index it")
    elif args.action == "remove":
        path = os.path.abspath(os.path.expanduser(args.path))
        removed = library.remove_folder(path)
        print(f"Removed {shown(path)} ({removed} photos forgotten; the files are untouched)")
    else:
        for folder in library.folders():
            print(shown(folder))
    return 0


def cmd_watch(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.api import SETTLE_SECONDS, FolderWatcher

    folders = library.folders()
    if not folders:
        from photofind.core.errors import FolderNotFoundError

        raise FolderNotFoundError(
            "the library has no folders yet; add one with 'photofind index FOLDER'"
        )
    watcher = FolderWatcher(folders)
    watcher.start()
    print(f"photofind: watching {len(folders)} folder(s); Ctrl+C to stop", file=sys.stderr)
    told: dict[str, str] = {}
    try:
        only = watcher.take()  # everything, at first
        while True:
            told = _tell_unwatched(watcher, told)
            counts = _run_index(library, settle_seconds=SETTLE_SECONDS, only=only)
            watcher.set_places(library.places())
            if counts.deferred:
                # Files still being written. The last change seen came a debounce before
                # the run, so they settle about this soon (a later look defers any that
                # have not).
                time.sleep(SETTLE_SECONDS - watcher.debounce)
                watcher.poke(only)
            while not watcher.wait_for_change(timeout=1.0):
                told = _tell_unwatched(watcher, told)
            only = watcher.take()
    except KeyboardInterrupt:
        return 0
    finally:
        watcher.stop()


def _tell_unwatched(watcher: FolderWatcher, told: dict[str, str]) -> dict[str, str]:
    """Say which folders are not watched live, and why, if that is news after `told`;
    returns what the user knows now."""
    from photofind.core.api import describe_unwatched

    unwatched = watcher.unwatched()
    for line in describe_unwatched(unwatched, told):
        print(f"photofind: {shown(line)}", file=sys.stderr)
    return unwatched
