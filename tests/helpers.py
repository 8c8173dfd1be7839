"""Helpers for driving the real CLI from tests."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The shared shapes folder (conftest's `shapes_dir`): this many photos of each class.
PER_CLASS = 12


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the real CLI entry point in-process; returns (exit code, stdout, stderr)."""
    from photofind.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse exits on bad arguments
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def run_cli_process(
    *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m photofind` as a separate process, as a user or script would."""
    return subprocess.run(
        [sys.executable, "-m", "photofind", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def run_cli_measured(
    *argv: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Like run_cli_process, plus the peak resident memory (MiB) of that process alone (see
    tests/peak_memory.py for why the rusage of a child would not do)."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = os.path.join(tmp, "peak")
        proc = subprocess.run(
            [sys.executable, os.path.join(os.path.dirname(__file__), "peak_memory.py"), *argv],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {}), "PHOTOFIND_PEAK_FILE": peak_file},
            timeout=300,
        )
        with open(peak_file, encoding="ascii") as f:
            return proc, int(f.read()) / 1024


def last_json(out: str) -> object:
    return json.loads(out.strip().splitlines()[-1])


def index_into(data_dir: Path, model: Path, folders: list[Path]) -> Path:
    """A library in `data_dir` holding `folders`, indexed with `model` on the CPU."""
    from photofind.core.library import Library

    library = Library(data_dir, str(model), "cpu")
    try:
        library.add_folders([str(f) for f in folders])
        for _ in library.index():
            pass
    finally:
        library.close()
    return data_dir


def with_older_tokenizer_files(model_dir: Path, folder: Path) -> Path:
    """A copy of `model_dir` in `folder` whose tokenizer is only the older files (vocab.json
    and merges.txt, no tokenizer.json): a CLIP checkpoint core.model.text_tower does not run."""
    shutil.copytree(model_dir, folder)
    bpe = json.loads((folder / "tokenizer.json").read_text())["model"]
    (folder / "vocab.json").write_text(json.dumps(bpe["vocab"]))
    merges = [m if isinstance(m, str) else " ".join(m) for m in bpe["merges"]]
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    (folder / "tokenizer.json").unlink()
    return folder


def path_bytes(entry: dict[str, object]) -> bytes:
    """A JSON result's file name as bytes: its exact "path_bytes" (base64) where the name is
    not UTF-8, else its "path"."""
    if "path_bytes" in entry:
        return base64.b64decode(str(entry["path_bytes"]))
    return os.fsencode(str(entry["path"]))
