"""Helpers for driving the real CLI from tests."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

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


def last_json(out: str) -> object:
    return json.loads(out.strip().splitlines()[-1])
