"""The commands that ask the index about photos (`search`, `similar`, `locate`, `duplicates`,
`tags`, `describe`), and the table of every command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from photofind.cli.commands_library import cmd_folders, cmd_index, cmd_status, cmd_watch
from photofind.cli.options import filters
from photofind.cli.output import print_duplicates, print_hits, shown
from photofind.cli.progress import fraction_bar

if TYPE_CHECKING:
    from photofind.core.api import Library


def cmd_search(library: Library, args: argparse.Namespace) -> int:
    print_hits(library.search(args.text, args.top, args.tag, filters(args)), args.json)
    return 0


def cmd_similar(library: Library, args: argparse.Namespace) -> int:
    print_hits(library.similar(args.photo, args.top, args.tag, filters(args)), args.json)
    return 0


def cmd_tags(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.api import vocabulary_path

    tally = library.tag_counts()
    if args.json:
        print(json.dumps(tally))
        return 0
    width = max((len(name) for name in tally), default=0)
    for name, count in tally.items():
        print(f"{name:<{width}}  {count:,}")
    print(f"(edit the tags in {shown(str(vocabulary_path(library.data_dir)))})", file=sys.stderr)
    return 0


def cmd_describe(library: Library, args: argparse.Namespace) -> int:
    scores = library.describe(str(args.photo), args.top)
    if args.json:
        print(json.dumps([{"tag": t.tag, "probability": round(t.probability, 4)} for t in scores]))
    else:
        for t in scores:
            print(f"{t.probability:6.3f}  {t.tag}")
    return 0


def cmd_locate(library: Library, args: argparse.Namespace) -> int:
    from photofind.core.api import overlay
    from photofind.core.errors import PhotofindError

    image, heatmap = library.locate(args.photo, args.text)
    try:
        overlay(image, heatmap).save(args.out, format="PNG")
    except OSError as exc:
        raise PhotofindError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    x, y = heatmap.peak
    best = float(heatmap.scores.max())
    if args.json:
        print(json.dumps({"out": str(args.out), "peak": {"x": x, "y": y}, "score": round(best, 6)}))
    else:
        print(f"Best match at x={x}, y={y} (score {best:.3f}); heatmap in {shown(str(args.out))}")
    return 0


def cmd_duplicates(library: Library, args: argparse.Namespace) -> int:
    with fraction_bar(sys.stderr, "Comparing photos") as progress:
        groups = library.duplicates(args.threshold, progress)
    print_duplicates(groups, args.json)
    photos = sum(len(g) for g in groups)
    print(
        f"photofind: {len(groups)} group(s) of near-duplicates, {photos} photos "
        f"(threshold {args.threshold})",
        file=sys.stderr,
    )
    return 0


COMMANDS: dict[str, Callable[[Library, argparse.Namespace], int]] = {
    "index": cmd_index,
    "search": cmd_search,
    "similar": cmd_similar,
    "locate": cmd_locate,
    "duplicates": cmd_duplicates,
    "tags": cmd_tags,
    "describe": cmd_describe,
    "status": cmd_status,
    "folders": cmd_folders,
    "watch": cmd_watch,
}
