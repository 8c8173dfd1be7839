"""The CLI's argument types, and the options that narrow and order a search's results."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photofind.core.api import Filters


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {value}")
    return value


def _date(end: bool) -> Callable[[str], date]:
    def parse(text: str) -> date:
        from photofind.core.api import parse_date
        from photofind.core.errors import FilterError

        try:
            return parse_date(text, end=end)
        except FilterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _types(text: str) -> frozenset[str]:
    from photofind.core.api import parse_types
    from photofind.core.errors import FilterError

    try:
        return parse_types(text)
    except FilterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _folder(text: str) -> str:
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"folder not found: {text}")
    return path


def _place(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the place is empty")
    return text.strip()


def add_filter_options(p: argparse.ArgumentParser) -> None:
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
        "--place",
        type=_place,
        metavar="PLACE",
        help="only photos taken in PLACE: a country (or its two-letter code), region or city, "
        "from the GPS position in the photo's EXIF data",
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


def filters(args: argparse.Namespace) -> Filters:
    """The filter options given on the command line."""
    from photofind.core.api import Filters

    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        folder=args.folder,
        extensions=args.types or frozenset(),
        place=args.place,
        sort=args.sort,
        cutoff=args.cutoff,
    )
