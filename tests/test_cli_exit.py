"""The `photofind` command ends as soon as it is done, without losing anything on the way
out: every line it printed, its exit status and its log reach their readers."""

from __future__ import annotations

from pathlib import Path

from helpers import PER_CLASS, run_cli_process
from shapes import CLASSES


def test_a_mistake_still_exits_2_with_its_line_and_its_log_entry(
    model_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    proc = run_cli_process(
        "--data-dir", str(data), "--model", str(model_dir), "similar", "/no/such/photo.jpg"
    )
    assert proc.returncode == 2
    assert proc.stdout == "" and proc.stderr.strip().endswith("photo not found: /no/such/photo.jpg")
    assert "photo not found" in (data / "photofind.log").read_text(encoding="utf-8")


def test_every_line_reaches_a_pipe(model_dir: Path, shapes_dir: Path, tmp_path: Path) -> None:
    common = ("--data-dir", str(tmp_path / "data"), "--model", str(model_dir))
    assert run_cli_process(*common, "index", str(shapes_dir)).returncode == 0
    proc = run_cli_process(*common, "search", "a photo of a red circle", "--top", "500")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == PER_CLASS * len(CLASSES)
    assert all(line.strip().endswith(".jpg") for line in lines)
