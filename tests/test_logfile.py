"""The log file: what photofind falls back to is written where a user can find it."""

from __future__ import annotations

from pathlib import Path

from helpers import index_into, run_cli_process, with_older_tokenizer_files

from photofind.logfile import LOG_NAME, log_to_file


def test_a_fallback_is_written_to_the_data_folders_log(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    """A model whose text tower core.model.text_tower cannot run (older tokenizer files) still
    searches, through transformers, and the log says so."""
    model = with_older_tokenizer_files(model_dir, tmp_path / "model")
    data = index_into(tmp_path / "data", model, [shapes_dir])

    argv = ["--data-dir", str(data), "--model", str(model), "--device", "cpu"]
    proc = run_cli_process(*argv, "search", "a photo of a red circle")
    assert proc.returncode == 0, proc.stderr
    log = (data / LOG_NAME).read_text(encoding="utf-8")
    assert "loads through transformers" in log and "tokenizer.json" in log


def test_an_unwritable_log_never_stops_the_program(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert log_to_file(blocked) is None
    assert log_to_file(tmp_path / "data") == tmp_path / "data" / LOG_NAME
