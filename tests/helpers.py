"""Helpers for driving the real CLI from tests."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading

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
    """Like run_cli_process, plus the peak resident memory (MiB) of that process alone:
    getrusage(RUSAGE_CHILDREN) would report the largest of every child the tests ran."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "photofind", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    streams: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, f=f: streams.update({n: f.read()}))
        for name, f in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)  # reaps it, with its own resource usage
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, streams["out"], streams["err"])
    return done, usage.ru_maxrss / 1024


def last_json(out: str) -> object:
    return json.loads(out.strip().splitlines()[-1])
