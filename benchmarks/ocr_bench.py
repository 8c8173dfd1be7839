"""The text stage (issue #18): how fast photos are read for text, and what share of a library
the "likely holds text" gate sends to the reader.

    python -m benchmarks.ocr_bench [--photos 200] [--text-share 0.1] [--out benchmarks/RESULTS.md]

A synthetic library stands in for a typical phone library: `--photos` photos of which
`--text-share` hold text (receipts, screenshots and slides from tests/texts.py, at a phone
camera's 4032 px and at screen size), the rest ordinary pictures (tests/shapes.py). Measured:
- the reader (core.model.ocr) alone: photos/s on text photos at each size, after the engine
  has started (its start is timed apart);
- `photofind index` whole, the command a user waits for, with PHOTOFIND_OCR=off and =auto, on
  copies of the same library: what the text stage adds, and how many photos it read;
- the gate: the share of the library judged likely to hold text, and whether it judged every
  text photo and no other.
The gate's figures are the tiny test CLIP's (tests/fixture_model/tiny-clip): no real model's
weights can be downloaded here. Writes its rows into RESULTS.md between markers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from shapes import CLASSES, make_photo  # noqa: E402
from texts import TEXT_KINDS, make_text_photo  # noqa: E402

from benchmarks.instant import write_section  # noqa: E402

MODEL = HERE.parent / "tests" / "fixture_model" / "tiny-clip"
BEGIN, END = "<!-- ocr: begin -->", "<!-- ocr: end -->"
PHONE_SIDE = 4032


def make_library(folder: Path, photos: int, text_share: float) -> list[Path]:
    """Write the library; returns the text photos' paths."""
    rng = np.random.default_rng(18)
    texts = max(1, round(photos * text_share))
    written = []
    for i in range(texts):
        image, _ = make_text_photo(TEXT_KINDS[i % len(TEXT_KINDS)], rng)
        if i % 2:  # half photographed with a phone camera, half screen-sized
            scale = PHONE_SIDE / max(image.size)
            image = image.resize((round(image.width * scale), round(image.height * scale)))
        path = folder / f"text_{i:04d}.jpg"
        image.save(path, quality=90)
        written.append(path)
    for i in range(photos - texts):
        colour, shape = CLASSES[i % len(CLASSES)]
        make_photo(colour, shape, rng).save(folder / f"photo_{i:04d}.jpg", quality=90)
    return written


def reader_rate(paths: list[Path]) -> tuple[float, dict[str, float]]:
    """The engine's start-up (s) and photos/s by size, read one at a time as the stage does."""
    from photofind.core.model.ocr import TextReader
    from photofind.core.photos.imaging import load_photo_file

    reader = TextReader()
    started = time.perf_counter()
    reader.read(load_photo_file(paths[0]).image.resize((64, 64)))
    start_up = time.perf_counter() - started
    by_size: dict[str, list[float]] = {}
    for path in paths:
        image = load_photo_file(path).image
        began = time.perf_counter()
        reader.read(image)
        key = (
            "phone photo (4032 px)" if max(image.size) >= PHONE_SIDE else "screen-sized (~1000 px)"
        )
        by_size.setdefault(key, []).append(time.perf_counter() - began)
    return start_up, {k: len(v) / sum(v) for k, v in by_size.items()}


def timed_index(data: Path, folder: Path, mode: str) -> tuple[float, str]:
    env = {**os.environ, "PHOTOFIND_OCR": mode}
    argv = [sys.executable, "-m", "photofind", "--data-dir", str(data), "--model", str(MODEL)]
    began = time.perf_counter()
    done = subprocess.run(
        [*argv, "index", str(folder)], env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - began, done.stderr.strip().splitlines()[-1]


def judged(data: Path, folder: Path) -> dict[str, str]:
    """Each photo's text state after the run: read, skipped (judged without text)…"""
    from photofind.core.library import Library

    library = Library(data, str(MODEL), "cpu")
    try:
        states = {p.name: library.text_in(str(p)) for p in sorted(folder.iterdir())}
        return {name: text.state if text else "" for name, text in states.items()}
    finally:
        library.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--text-share", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "library"
        folder.mkdir()
        texts = make_library(folder, args.photos, args.text_share)
        start_up, rates = reader_rate(texts)
        off, _ = timed_index(Path(tmp) / "off", folder, "off")
        auto, summary = timed_index(Path(tmp) / "auto", folder, "auto")
        states = judged(Path(tmp) / "auto", folder)
    read = {name for name, state in states.items() if state == "read"}
    wanted = {p.name for p in texts}
    rows = [
        ("Reader start (engine made, both models loaded)", f"{start_up:.2f} s"),
        *((f"Reader alone, {size}", f"{rate:.2f} photos/s") for size, rate in rates.items()),
        (
            f"`photofind index`, {args.photos} new photos, text off / auto",
            f"{off:.1f} s / {auto:.1f} s: the text stage adds {auto - off:.1f} s"
            f" ({summary.split('; ')[-1]})",
        ),
        (
            "Share of the library the gate sends to the reader",
            f"{len(read) / args.photos:.0%} ({len(read)} of {args.photos}; text photos"
            f" {len(wanted)}: {len(read & wanted)} read, {len(read - wanted)} others read)",
        ),
    ]
    write(args.out, rows, args)
    print(json.dumps(dict(rows), indent=1))
    return 0


def write(out: Path, rows: list[tuple[str, str]], args: argparse.Namespace) -> None:
    from benchmarks.machine import describe, engine_revision

    machine = describe()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Text in photos (issue #18)",
        "",
        f"Generated by `python -m benchmarks.ocr_bench` on {stamp}, photofind at"
        f" {engine_revision(HERE.parent)}, {machine.cpu} ({machine.cores} cores); a synthetic"
        f" library of {args.photos} photos, {args.text_share:.0%} with text; the tiny test"
        " CLIP judges which hold text (how: the module's docstring).",
        "",
        "| What | Measured |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in rows),
    ]
    write_section(out, BEGIN, END, lines)


if __name__ == "__main__":
    raise SystemExit(main())
