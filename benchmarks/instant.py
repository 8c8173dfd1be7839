"""Instant from launch (issue #14): what a user waits for on the everyday path, each timed
whole, from the command or the launch to the result.

    python -m benchmarks.instant [--sizes 100000,1000000] [--runs 3] [--out benchmarks/RESULTS.md]

On synthetic libraries already indexed with the real-shape ViT-B/32 (search_bench's vectors;
the 100,000-photo one also has its photos on disk, one tiny file each, so `photofind index`
finds them all unchanged):
- a cold `photofind search TEXT` and `photofind similar PHOTO` (a photo in the library);
- a `photofind index FOLDER` when nothing changed;
- the app launched, a query typed as soon as its window shows: seconds until the grid shows
  results, the longest GUI-thread gap until then, and whether torch or transformers had
  been imported by then.
Each figure is the median of `--runs` runs after one unmeasured run (which writes the vector
snapshot a user's first search after indexing writes). Page cache warm: these are process
cold starts, not disk cold starts. The app's launches share one home folder (settings, caches),
as a user's launches do. Writes its rows into RESULTS.md between markers.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import commands
from benchmarks.make_model import ensure_model
from benchmarks.search_bench import ensure_library, photo_path
from photofind.core.model.ref import model_key

HERE = Path(__file__).resolve().parent
QUERY = "two dogs running across a frosty field"
BEGIN, END = "<!-- instant: begin -->", "<!-- instant: end -->"
TARGETS = {
    "search": 1.0,
    "similar": 1.0,
    "index": 3.0,
    "app": 1.5,
    "gap": 0.100,
    "search-1M": 2.0,
    "app-1M": 2.0,
}


def run_command(argv: list[str]) -> float:
    """Wall seconds of one whole `photofind` command in a new process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [*commands.photofind_command(), *argv],
        capture_output=True,
        text=True,
        env=commands.child_env(),
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"photofind {argv[4:6]} failed: {proc.stderr[-2000:]}")
    return seconds


def median_of(runs: int, argv: list[str]) -> tuple[float, list[float]]:
    """The median wall time of `runs` runs of `photofind ARGV`, and each run's."""
    run_command(argv)  # unmeasured: writes the snapshot, fills the page cache
    times = [run_command(argv) for _ in range(runs)]
    return statistics.median(times), times


def status(value: float, limit: float) -> str:
    return f"met ({value / limit:.2f}× of the limit)" if value <= limit else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    model = ensure_model()
    name = model_key(str(model))
    work = Path(tempfile.mkdtemp(prefix="instant-"))
    rows: list[tuple[str, str, str, str]] = []
    for n in (int(s) for s in args.sizes.split(",")):
        files = n <= 100_000
        print(f"library of {n:,} photos{' with files' if files else ''}…", flush=True)
        data = ensure_library(n, name, files=files)
        common = ["--data-dir", str(data), "--model", str(model), "--device", "cpu"]
        big = "-1M" if n >= 1_000_000 else ""
        root = str(data.with_name(data.name + "-photos")) if files else "/benchmark/library"
        searched, runs = median_of(args.runs, [*common, "search", QUERY])
        rows.append(
            row(f"`photofind search TEXT` cold, {n:,} photos", searched, runs, "search" + big)
        )
        if not big:
            photo = photo_path(n // 2, root)
            similar, runs = median_of(args.runs, [*common, "similar", photo])
            rows.append(
                row(f"`photofind similar PHOTO` cold, {n:,} photos", similar, runs, "similar")
            )
        if files:
            index, runs = median_of(args.runs, [*common, "index", root])
            rows.append(
                row(
                    f"`photofind index FOLDER`, nothing changed, {n:,} photos", index, runs, "index"
                )
            )
        # One home for every launch, as a user's: the unmeasured first writes the caches
        # (places, place names) that the later launches read (PHOTOFIND_CACHE_DIR, if set,
        # holds them instead).
        home = work / f"home-{n}"
        probes = [
            commands.probe_window(data, model, work, QUERY, home) for _ in range(args.runs + 1)
        ][1:]
        app = statistics.median(p["results"] for p in probes)
        rows.append(
            row(
                f"App launched, query typed at once: results on screen, {n:,} photos",
                app,
                [p["results"] for p in probes],
                "app" + big,
                f"; window shown at {statistics.median(p['shown'] for p in probes):.2f} s;"
                f" imported by then: {imported(probes)}",
            )
        )
        if not big:
            gap = max(p["longest_gap"] for p in probes)
            rows.append(
                row(
                    f"Longest GUI-thread gap, launch to first results, {n:,} photos",
                    gap,
                    [p["longest_gap"] for p in probes],
                    "gap",
                    unit="ms",
                )
            )
    write(args.out, rows)
    for r in rows:
        print(" | ".join(r))
    return 0


def imported(probes: list[dict[str, Any]]) -> str:
    names = sorted({name for p in probes for name in p["imported"]})
    return ", ".join(names) or "neither torch nor transformers"


def row(
    label: str, value: float, runs: list[float], target: str, extra: str = "", unit: str = "s"
) -> tuple[str, str, str, str]:
    scale, fmt = (1000, "{:.0f} ms") if unit == "ms" else (1, "{:.2f} s")
    shown = fmt.format(value * scale)
    each = ", ".join(fmt.format(r * scale) for r in runs)
    limit = TARGETS[target]
    return (
        label,
        f"{shown} ({each}){extra}",
        f"≤ {fmt.format(limit * scale)}" if unit == "s" else f"< {fmt.format(limit * scale)}",
        status(value, limit),
    )


def write(out: Path, rows: list[tuple[str, str, str, str]]) -> None:
    from benchmarks.machine import describe, engine_revision

    machine = describe()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Instant from launch (issue #14)",
        "",
        f"Generated by `python -m benchmarks.instant` on {stamp}, photofind at"
        f" {engine_revision(HERE.parent)}, {machine.cpu} ({machine.cores} cores);"
        " the real-shape ViT-B/32, synthetic libraries already indexed"
        " (how: the module's docstring). Median of the runs in brackets.",
        "",
        "| What the user does | Measured | Target | Status |",
        "|---|---|---|---|",
        *(f"| {' | '.join(r)} |" for r in rows),
    ]
    write_section(out, BEGIN, END, lines)


def write_section(out: Path, begin: str, end: str, lines: list[str]) -> None:
    """Put `lines` between the markers `begin` and `end` in `out`, in place of what was
    there, or as a new section at its end."""
    section = "\n".join([begin, *lines, end])
    text = out.read_text(encoding="utf-8") if out.is_file() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
