"""The CLI's commands and options, as argparse reads them."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import NoReturn

from photofind import __version__
from photofind.cli.options import add_filter_options, fraction, positive
from photofind.core.api import DEFAULT_MODEL, DEVICES

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit status 2, with no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="photofind",
        description="Find photos in your folders by describing them, or by a similar photo. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"photofind {__version__}")
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("index", help="add folders to the library and bring the index up to date")
    p.add_argument("folders", nargs="+", metavar="FOLDER")
    p.add_argument("--json", action="store_true", help="print this run's counts as JSON")
    _add_search_commands(sub)
    _add_photo_commands(sub)
    _add_library_commands(sub)
    return parser


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot check by itself; exits with a usage error if something is wrong."""
    if args.device not in DEVICES:
        parser.error(f"--device must be one of {', '.join(DEVICES)}, not {args.device!r}")
    from photofind.core.api import INDEX_KINDS

    if args.index not in INDEX_KINDS:
        parser.error(f"--index must be one of {', '.join(INDEX_KINDS)}, not {args.index!r}")
    if args.command == "folders" and args.action != "list" and not args.path:
        parser.error(f"'folders {args.action}' needs a PATH")
    if getattr(args, "date_from", None) and args.date_to and args.date_from > args.date_to:
        parser.error(f"--from {args.date_from} is after --to {args.date_to}")


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    env = os.environ
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


def _add_search_commands(sub: argparse._SubParsersAction) -> None:
    """`search` and `similar`: ranked photos, with the same options."""
    p = sub.add_parser("search", help="photos matching a description")
    p.add_argument(
        "text",
        metavar="QUERY",
        help="a description, or a query such as 'beach + sunset - people', '2:dog + cat' or "
        "'~/a.jpg - snow' (see README, Queries)",
    )
    _add_ranking_options(p)
    p = sub.add_parser("similar", help="photos like a given photo")
    p.add_argument("photo", type=Path, metavar="PHOTO")
    _add_ranking_options(p)


def _add_ranking_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--top", type=positive, default=20, metavar="N", help="how many (default 20)")
    p.add_argument("--tag", metavar="TAG", help="only photos carrying this tag (see `tags`)")
    p.add_argument("--json", action="store_true", help="print results as a JSON array")
    add_filter_options(p)


def _add_photo_commands(sub: argparse._SubParsersAction) -> None:
    """`locate`, `duplicates`, `tags` and `describe`: what the index knows of photos."""
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
        type=fraction,
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
    p.add_argument("--top", type=positive, default=5, metavar="N", help="how many (default 5)")
    p.add_argument("--json", action="store_true", help="print the tags as a JSON array")


def _add_library_commands(sub: argparse._SubParsersAction) -> None:
    """`status`, `folders` and `watch`: the library itself."""
    p = sub.add_parser("status", help="what is indexed, failed and pending")
    p.add_argument("--json", action="store_true", help="print status as a JSON object")
    p.add_argument("--failed", action="store_true", help="list photos that could not be read")

    p = sub.add_parser("folders", help="list, add or remove the library's folders")
    p.add_argument("action", choices=("list", "add", "remove"))
    p.add_argument("path", nargs="?", metavar="PATH")

    sub.add_parser("watch", help="keep the library's folders indexed as they change")
