"""`photofind`: the command line over the core. Its options and output are a contract."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from photofind import __version__
from photofind.core.model.encoder import DEFAULT_MODEL, DEVICES

if TYPE_CHECKING:
    from photofind.core.index.indexer import IndexCounts, IndexProgress
    from photofind.core.index.watcher import FolderWatcher
    from photofind.core.library import Library
    from photofind.core.model.download import DownloadProgress
    from photofind.core.photos.scanning import Scope
    from photofind.core.search.duplicates import Duplicate
    from photofind.core.search.filters import Filters
    from photofind.core.search.search import Hit
from photofind.units import human_size

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit status 2, with no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {value}")
    return value


def _date(end: bool) -> Callable[[str], date]:
    def parse(text: str) -> date:
        from photofind.core.errors import FilterError
        from photofind.core.search.filters import parse_date

        try:
            return parse_date(text, end=end)
        except FilterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _types(text: str) -> frozenset[str]:
    from photofind.core.errors import FilterError
    from photofind.core.search.filters import parse_types

    try:
        return parse_types(text)
    except FilterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _folder(text: str) -> str:
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"folder not found: {text}")
    return path


def _add_filter_options(p: argparse.ArgumentParser) -> None:
    """Options that narrow and order a search's results (photofind.core.search.filters)."""
    p.add_argument(
        "--from",
        dest="date_from",
        type=_date(end=False),
        metavar="DATE",
        help="only photos taken on or after DATE: YYYY-MM-DD, YYYY-MM or YYYY (the date taken "
        "in the photo's EXIF data, else the file's modification date)",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        type=_date(end=True),
        metavar="DATE",
        help="only photos taken on or before DATE (YYYY-MM-DD; YYYY-MM or YYYY: to its end)",
    )
    p.add_argument(
        "--folder", type=_folder, metavar="FOLDER", help="only photos inside FOLDER (at any depth)"
    )
    p.add_argument(
        "--type",
        dest="types",
        type=_types,
        metavar="TYPES",
        help="only these file types, comma-separated: jpeg, png, heic, webp, gif, tiff, bmp, "
        "avif, raw, or a RAW format such as cr2 or nef",
    )
    p.add_argument(
        "--sort",
        choices=("relevance", "newest", "oldest"),
        default="relevance",
        help="order of the results: best match first (relevance, the default), or by date taken; "
        "the --top N best matches are the ones ordered",
    )
    p.add_argument(
        "--cutoff",
        action="store_true",
        help="only close matches: photos scoring near the query's best match, relative to how "
        "a typical photo scores for it (see README, Filters)",
    )


def _filters(args: argparse.Namespace) -> Filters:
    from photofind.core.search.filters import Filters

    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        folder=args.folder,
        extensions=args.types or frozenset(),
        sort=args.sort,
        cutoff=args.cutoff,
    )


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = _Parser(
        prog="photofind",
        description="Find photos in your folders by describing them, or by a similar photo. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"photofind {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=env.get("PHOTOFIND_DATA_DIR"),
        help="where the library database and thumbnails live (env PHOTOFIND_DATA_DIR; "
        "default: your platform's per-user data folder)",
    )
    parser.add_argument(
        "--model",
        default=env.get("PHOTOFIND_MODEL") or DEFAULT_MODEL,
        help="CLIP model: a Hugging Face hub id or a local folder (env PHOTOFIND_MODEL; "
        f"default: {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--device",
        default=env.get("PHOTOFIND_DEVICE") or "auto",
        help="where the model runs: auto, cpu, cuda or mps (env PHOTOFIND_DEVICE; default auto)",
    )
    parser.add_argument(
        "--index",
        default=env.get("PHOTOFIND_INDEX") or "exact",
        help="how searches rank photos: exact (every photo compared; the default) or "
        "approximate (an HNSW graph for a million photos and more, built when indexing ends; "
        "needs photofind[ann]) (env PHOTOFIND_INDEX)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="add folders to the library and bring the index up to date")
    p.add_argument("folders", nargs="+", metavar="FOLDER")
    p.add_argument("--json", action="store_true", help="print this run's counts as JSON")

    p = sub.add_parser("search", help="photos matching a description")
    p.add_argument(
        "text",
        metavar="QUERY",
        help="a description, or a query such as 'beach + sunset - people', '2:dog + cat' or "
        "'~/a.jpg - snow' (see README, Queries)",
    )
    p.add_argument("--top", type=_positive, default=20, metavar="N", help="how many (default 20)")
    p.add_argument("--tag", metavar="TAG", help="only photos carrying this tag (see `tags`)")
    p.add_argument("--json", action="store_true", help="print results as a JSON array")
    _add_filter_options(p)

    p = sub.add_parser("similar", help="photos like a given photo")
    p.add_argument("photo", type=Path, metavar="PHOTO")
    p.add_argument("--top", type=_positive, default=20, metavar="N", help="how many (default 20)")
    p.add_argument("--tag", metavar="TAG", help="only photos carrying this tag (see `tags`)")
    p.add_argument("--json", action="store_true", help="print results as a JSON array")
    _add_filter_options(p)

    p = sub.add_parser("locate", help="where in a photo a description matches, as a heatmap")
    p.add_argument("photo", type=Path, metavar="PHOTO")
    p.add_argument("text", metavar="TEXT", help="a description (or a query, as for search)")
    p.add_argument(
        "--out", type=Path, required=True, metavar="PNG", help="where to write the heatmap"
    )
    p.add_argument("--json", action="store_true", help="print the best match as JSON")

    p = sub.add_parser("duplicates", help="groups of near-identical photos")
    p.add_argument(
        "--threshold",
        type=_fraction,
        default=0.95,
        metavar="T",
        help="how alike two photos must be: the cosine of their vectors, above 0 and at most 1 "
        "(default 0.95)",
    )
    p.add_argument("--json", action="store_true", help="print the groups as a JSON array")

    p = sub.add_parser("tags", help="the tag vocabulary, and how many photos carry each tag")
    p.add_argument("--json", action="store_true", help="print the tags as a JSON object")

    p = sub.add_parser("describe", help="the tags that best describe a photo")
    p.add_argument("photo", type=Path, metavar="PHOTO")
    p.add_argument("--top", type=_positive, default=5, metavar="N", help="how many (default 5)")
    p.add_argument("--json", action="store_true", help="print the tags as a JSON array")

    p = sub.add_parser("status", help="what is indexed, failed and pending")
    p.add_argument("--json", action="store_true", help="print status as a JSON object")
    p.add_argument("--failed", action="store_true", help="list photos that could not be read")

    p = sub.add_parser("folders", help="list, add or remove the library's folders")
    p.add_argument("action", choices=("list", "add", "remove"))
    p.add_argument("path", nargs="?", metavar="PATH")

    sub.add_parser("watch", help="keep the library's folders indexed as they change")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.device not in DEVICES:
        parser.error(f"--device must be one of {', '.join(DEVICES)}, not {args.device!r}")
    from photofind.core.search.search import INDEX_KINDS

    if args.index not in INDEX_KINDS:
        parser.error(f"--index must be one of {', '.join(INDEX_KINDS)}, not {args.index!r}")
    if args.command == "folders" and args.action != "list" and not args.path:
        parser.error(f"'folders {args.action}' needs a PATH")
    if getattr(args, "date_from", None) and args.date_to and args.date_from > args.date_to:
        parser.error(f"--from {args.date_from} is after --to {args.date_to}")

    from photofind.core.errors import DownloadCancelled, PhotofindError
    from photofind.core.library import default_data_dir
    from photofind.logfile import log_to_file

    log_to_file(args.data_dir or default_data_dir())
    download = _DownloadLine(sys.stderr)
    try:
        if args.command is None:
            return _open_app(args)
        with _open_library(args, download) as library:
            return COMMANDS[args.command](library, args)
    except DownloadCancelled as exc:
        download.close()
        print(f"photofind: {_shown(str(exc))}", file=sys.stderr)
        return 130
    except PhotofindError as exc:
        download.close()
        logging.getLogger(__name__).warning("%s: %s", args.command or "app", exc)
        print(f"photofind: error: {_shown(str(exc))}", file=sys.stderr)
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
def _open_library(args: argparse.Namespace, download: _DownloadLine) -> Iterator[Library]:
    from photofind.core.library import Library, default_data_dir

    library = Library(
        args.data_dir or default_data_dir(), args.model, args.device, download, index=args.index
    )
    try:
        yield library
    finally:
        library.close()


def _cmd_index(library: Library, args: argparse.Namespace) -> int:
    library.add_folders(args.folders)
    counts = _run_index(library)
    if args.json:
        print(json.dumps(counts.as_dict()))
    return 0


def _run_index(
    library: Library, settle_seconds: float = 0.0, only: list[Scope] | None = None
) -> IndexCounts:
    cancel = threading.Event()
    bar = _ProgressBar(sys.stderr)
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


def _shown(text: str) -> str:
    """A path (or a message holding one) as one line a terminal prints as it is: control
    characters, line breaks and the bidirectional controls that could reorder the line are
    written as escapes (ESC as \\x1b, a newline as \\n), and so are the bytes of a file name
    that are not UTF-8 (\\xff); on POSIX a backslash is doubled, so every escape is
    unambiguous. A name holding ESC ] 0; … BEL could otherwise retitle the terminal."""
    return "".join(_escaped(c) for c in text)


# Bidirectional overrides, embeddings and isolates: they reorder how a line is displayed.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(c: str) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if c == "\\" and os.sep == "/":
        return "\\\\"
    if c in _NAMED:
        return _NAMED[c]
    if unicodedata.category(c) == "Cc" or c in "\u2028\u2029" or c in _BIDI_CONTROLS:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return c


def _json_path(path: str) -> dict[str, str]:
    """A path for JSON output. JSON text is Unicode, and a Linux file name may be any bytes:
    such a name's "path" shows the bytes that are not UTF-8 as U+FFFD, and "path_bytes"
    holds the name's exact bytes in base64, so a script can still open the file."""
    shown = _json_text(path)
    if shown == path:
        return {"path": path}
    return {"path": shown, "path_bytes": base64.b64encode(os.fsencode(path)).decode("ascii")}


def _json_text(text: str) -> str:
    """`text` with the bytes of a file name that are not UTF-8 shown as U+FFFD."""
    return os.fsencode(text).decode("utf-8", "replace")


def _print_hits(hits: list[Hit], as_json: bool) -> None:
    if as_json:
        print(json.dumps([{**_json_path(h.path), "score": round(h.score, 6)} for h in hits]))
    else:
        for h in hits:
            print(f"{h.score:6.3f}  {_shown(h.path)}")


def _cmd_search(library: Library, args: argparse.Namespace) -> int:
    _print_hits(library.search(args.text, args.top, args.tag, _filters(args)), args.json)
    return 0


def _cmd_tags(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.search.tags import vocabulary_path

    tally = library.tag_counts()
    if args.json:
        print(json.dumps(tally))
        return 0
    width = max((len(name) for name in tally), default=0)
    for name, count in tally.items():
        print(f"{name:<{width}}  {count:,}")
    print(f"(edit the tags in {_shown(str(vocabulary_path(library.data_dir)))})", file=sys.stderr)
    return 0


def _cmd_describe(library: Library, args: argparse.Namespace) -> int:
    scores = library.describe(str(args.photo), args.top)
    if args.json:
        print(json.dumps([{"tag": t.tag, "probability": round(t.probability, 4)} for t in scores]))
    else:
        for t in scores:
            print(f"{t.probability:6.3f}  {t.tag}")
    return 0


def _cmd_similar(library: Library, args: argparse.Namespace) -> int:
    _print_hits(library.similar(args.photo, args.top, args.tag, _filters(args)), args.json)
    return 0


def _cmd_locate(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.errors import PhotofindError, PhotoLoadError, QueryError
    from photofind.core.photos.imaging import load_photo_file
    from photofind.core.search.locate import locate, overlay

    if not args.photo.is_file():
        raise QueryError(f"photo not found: {args.photo}")
    try:
        image = load_photo_file(args.photo).image
    except PhotoLoadError as exc:
        raise QueryError(f"cannot read {args.photo} as a photo: {exc}") from exc
    encoder = library.encoder()  # the image tower scores the patches
    vector, _ = library.searcher.query_vector(args.text)
    heatmap = locate(encoder, image, vector)
    try:
        overlay(image, heatmap).save(args.out, format="PNG")
    except OSError as exc:
        raise PhotofindError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    x, y = heatmap.peak
    best = float(heatmap.scores.max())
    if args.json:
        print(json.dumps({"out": str(args.out), "peak": {"x": x, "y": y}, "score": round(best, 6)}))
    else:
        print(f"Best match at x={x}, y={y} (score {best:.3f}); heatmap in {_shown(str(args.out))}")
    return 0


def _cmd_duplicates(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.search.duplicates import find_duplicates

    tty = sys.stderr.isatty()

    def progress(done: float) -> None:
        if tty:
            sys.stderr.write(f"\r\x1b[2KComparing photos… {done:.0%}")
            sys.stderr.flush()

    groups = find_duplicates(library.store, library.model_name, args.threshold, progress)
    if tty:
        sys.stderr.write("\r\x1b[2K")
    if args.json:
        print(json.dumps([[_json_duplicate(d) for d in g] for g in groups]))
    else:
        for i, group in enumerate(groups):
            if i:
                print()
            print(f"{len(group)} alike:")
            for d in group:
                print(f"{d.score:6.3f}  {_shown(d.path)}")
    photos = sum(len(g) for g in groups)
    print(
        f"photofind: {len(groups)} group(s) of near-duplicates, {photos} photos "
        f"(threshold {args.threshold})",
        file=sys.stderr,
    )
    return 0


def _json_duplicate(dup: Duplicate) -> dict[str, object]:
    return {
        **_json_path(dup.path),
        "score": round(dup.score, 6),
        "alike_kept": dup.alike_kept,
        "aliases": [_json_path(alias) for alias in dup.aliases],
    }


def _cmd_status(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.model.encoder import resolve_device

    status = {**library.status(), "device": resolve_device(library.device)}
    if args.failed:
        status["failures"] = [
            {**_json_path(p), "reason": _json_text(r)} for p, r in library.store.failures()
        ]
    if args.json:
        print(json.dumps(status))
        return 0
    print(f"Photos indexed: {status['photos']}")
    print(f"Failed:         {status['failed']}")
    print(f"Pending:        {status['pending']}")
    print(f"Model:          {status['model']} (on {status['device']})")
    print(f"Data folder:    {_shown(str(library.data_dir))}")
    print(
        "Folders:"
        if status["folders"]
        else "Folders:        none yet; add one with 'photofind index FOLDER'"
    )
    for folder in status["folders"]:  # type: ignore[attr-defined]
        print(f"  {_shown(folder)}")
    for failure in status.get("failures", []):  # type: ignore[attr-defined]
        print(f"  failed: {_shown(failure['path'])}: {_shown(failure['reason'])}")
    return 0


def _cmd_folders(library: Library, args: argparse.Namespace) -> int:
    if args.action == "add":
        (path,) = library.add_folders([args.path])
        print(f"Added {_shown(path)}; run 'photofind index' or 'photofind watch' to index it")
    elif args.action == "remove":
        path = os.path.abspath(os.path.expanduser(args.path))
        removed = library.remove_folder(path)
        print(f"Removed {_shown(path)} ({removed} photos forgotten; the files are untouched)")
    else:
        for folder in library.store.folders():
            print(_shown(folder))
    return 0


def _cmd_watch(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.index.watcher import FolderWatcher

    folders = library.store.folders()
    if not folders:
        from photofind.core.errors import FolderNotFoundError

        raise FolderNotFoundError(
            "the library has no folders yet; add one with 'photofind index FOLDER'"
        )
    watcher = FolderWatcher(folders)
    watcher.start()
    print(f"photofind: watching {len(folders)} folder(s); Ctrl+C to stop", file=sys.stderr)
    settle = 2.0
    told: dict[str, str] = {}
    try:
        only = watcher.take()  # everything, at first
        while True:
            told = _tell_unwatched(watcher, told)
            counts = _run_index(library, settle_seconds=settle, only=only)
            watcher.set_places(library.store.places())
            if counts.deferred:
                # Files still being written. The last change seen came a debounce before
                # the run, so they settle about this soon (a later look defers any that
                # have not).
                time.sleep(settle - watcher.debounce)
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
    from photofind.core.index.watcher import describe_unwatched

    unwatched = watcher.unwatched()
    for line in describe_unwatched(unwatched, told):
        print(f"photofind: {_shown(line)}", file=sys.stderr)
    return unwatched


COMMANDS = {
    "index": _cmd_index,
    "search": _cmd_search,
    "similar": _cmd_similar,
    "locate": _cmd_locate,
    "duplicates": _cmd_duplicates,
    "tags": _cmd_tags,
    "describe": _cmd_describe,
    "status": _cmd_status,
    "folders": _cmd_folders,
    "watch": _cmd_watch,
}


class _ProgressBar:
    """A one-line bar on a terminal; silent when stderr is a file or pipe."""

    def __init__(self, stream: object) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._drawn = 0.0

    def update(self, p: IndexProgress) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._drawn < 0.1:
            return
        self._drawn = now
        if p.phase == "scanning":
            line = f"Scanning… {p.done:,} files"
        elif p.phase == "graph":
            line = f"Building the approximate index: {p.done:,} of {p.total:,} photos"
        else:
            width = 30
            filled = int(width * p.done / p.total) if p.total else width
            eta = p.eta_seconds
            eta_text = f" · about {int(eta // 60)}:{int(eta % 60):02d} left" if eta else ""
            line = (
                f"Indexing [{'#' * filled}{'.' * (width - filled)}] {p.done:,}/{p.total:,}"
                f" · {p.rate:.1f} photos/s{eta_text}"
            )
        self.stream.write("\r\x1b[2K" + line)  # type: ignore[attr-defined]
        self.stream.flush()  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[2K")  # type: ignore[attr-defined]
            self.stream.flush()  # type: ignore[attr-defined]


class _DownloadLine:
    """A first run's model download on stderr: a live line on a terminal, otherwise one line
    when it starts and one when it is done."""

    def __init__(self, stream: object) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.ref = ""
        self.active = False
        self._drawn = 0.0

    def __call__(self, p: DownloadProgress) -> None:
        if not self.active:
            self.active = True
            self.ref = p.ref
            self._drawn = 0.0
            if not self.tty:
                resumed = f", resuming at {human_size(p.bytes_done)}" if p.bytes_done else ""
                self._write(
                    f"photofind: downloading model {p.ref} ({human_size(p.bytes_total)}{resumed}) "
                    "into the Hugging Face cache\n"
                )
        if p.finished:
            self.close()
            self._write(f"photofind: downloaded model {p.ref} ({human_size(p.bytes_total)})\n")
            return
        now = time.monotonic()
        if not self.tty or (self._drawn and now - self._drawn < 0.1):
            return
        self._drawn = now
        line = f"Downloading {p.ref}: {human_size(p.bytes_done)} of {human_size(p.bytes_total)}"
        if p.speed > 0:
            line += f" · {human_size(p.speed)}/s"
        if p.eta_seconds is not None:
            line += f" · about {_duration(p.eta_seconds)} left"
        self._write("\r\x1b[2K" + line)

    def close(self) -> bool:
        """Ends the live line; True if a download was under way."""
        was_active, self.active = self.active, False
        if self.tty and self._drawn:
            self._write("\r\x1b[2K")
            self._drawn = 0.0
        return was_active

    def _write(self, text: str) -> None:
        self.stream.write(text)  # type: ignore[attr-defined]
        self.stream.flush()  # type: ignore[attr-defined]


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(int(seconds), 1)} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{int(seconds // 3600)} h {round(seconds % 3600 / 60)} min"
