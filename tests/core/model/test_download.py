"""First-run model download against a local stand-in for the Hugging Face hub (tests/hub_server):
progress, the standard cache layout, cancel, resume after a cancel, a dropped connection or a
killed process, offline use afterwards, and the CLI's progress line."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import last_json
from hub_server import COMMIT, Hold, HubServer
from hub_server import FIXTURE_REPO as REPO
from shapes import make_photo

from photofind.core.errors import DownloadCancelled, DownloadError, ModelLoadError
from photofind.core.model.download import (
    DownloadProgress,
    download_model,
    files_needed,
    is_downloaded,
)

# What transformers needs of the fixture repo; the rest (other weight formats, README) is left.
NEEDED = [
    "config.json",
    "model.safetensors",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
]
WEIGHTS = "model.safetensors"


def snapshot(cache: Path) -> Path:
    return cache / "models--photofind-test--tiny-clip" / "snapshots" / COMMIT


def blobs(cache: Path) -> Path:
    return cache / "models--photofind-test--tiny-clip" / "blobs"


def assert_complete(cache: Path, repo_files: dict[str, bytes]) -> None:
    """Exactly the needed files in the snapshot, byte for byte, and nothing half-done."""
    snap = snapshot(cache)
    assert sorted(p.name for p in snap.iterdir()) == NEEDED
    for name in NEEDED:
        assert (snap / name).read_bytes() == repo_files[name], name
    refs = cache / "models--photofind-test--tiny-clip" / "refs" / "main"
    assert refs.read_text() == COMMIT
    assert not list(blobs(cache).glob("*.incomplete"))
    assert is_downloaded(REPO)


def download(ref: str) -> list[DownloadProgress]:
    """download_model's reports, in order."""
    reports: list[DownloadProgress] = []
    download_model(ref, reports.append)
    return reports


def total_needed(repo_files: dict[str, bytes]) -> int:
    return sum(len(repo_files[name]) for name in NEEDED)


def test_download_reports_growing_progress_and_lands_in_the_hub_cache(
    hub: HubServer, cache: Path, repo_files: dict[str, bytes]
) -> None:
    reports = download(REPO)

    total = total_needed(repo_files)
    assert reports[0] == DownloadProgress(REPO, reports[0].filename, 0, total, 0.0, None)
    assert all(r.bytes_total == total for r in reports)
    done = [r.bytes_done for r in reports]
    assert done == sorted(done)
    during = [r for r in reports if r.filename == WEIGHTS and 0 < r.bytes_done < total]
    assert len(during) > 10  # the weights arrive in many reported pieces
    assert not any(r.finished for r in reports[:-1])
    assert reports[-1].finished and reports[-1].bytes_done == total
    assert reports[-1].fraction == 1.0
    assert_complete(cache, repo_files)
    # Only what transformers needs went over the wire: no other weight formats, no README.
    fetched = {r.file for r in hub.requests if r.method == "GET" and "/resolve/" in r.path}
    assert fetched == set(NEEDED)

    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(REPO, WEIGHTS, cache_dir=str(cache))
    assert found == str(snapshot(cache) / WEIGHTS)


def test_a_downloaded_model_yields_nothing_and_uses_no_network(hub: HubServer, cache: Path) -> None:
    download(REPO)
    hub.requests.clear()

    assert download(REPO) == []
    assert hub.requests == []


def test_a_local_folder_needs_no_download(model_dir: Path, hub: HubServer) -> None:
    assert is_downloaded(str(model_dir))
    assert download(str(model_dir)) == []
    assert hub.requests == []


def test_cancel_stops_mid_download_keeps_the_partial_and_the_next_run_resumes_it(
    hub: HubServer, cache: Path, repo_files: dict[str, bytes]
) -> None:
    cancel = threading.Event()
    reports: list[DownloadProgress] = []

    def hear(report: DownloadProgress) -> None:
        reports.append(report)
        if report.filename == WEIGHTS and report.bytes_done > report.bytes_total / 2:
            cancel.set()

    with pytest.raises(DownloadCancelled) as caught:
        download_model(REPO, hear, cancel)
    assert isinstance(caught.value, ModelLoadError)  # front ends show it like a load failure
    assert REPO in str(caught.value) and len(str(caught.value).splitlines()) == 1

    (partial,) = blobs(cache).glob("*.incomplete")
    kept = partial.stat().st_size
    assert 0 < kept < len(repo_files[WEIGHTS])
    assert not is_downloaded(REPO)

    hub.requests.clear()
    resumed = download(REPO)
    (get,) = hub.gets(WEIGHTS)
    assert get.range_start == kept  # from the bytes on disk, not from the start
    assert resumed[0].bytes_done == total_needed(repo_files) - len(repo_files[WEIGHTS]) + kept
    assert resumed[-1].finished
    assert_complete(cache, repo_files)


def test_a_dropped_connection_resumes_from_the_bytes_received(
    hub: HubServer, cache: Path, repo_files: dict[str, bytes]
) -> None:
    hub.drop_after[WEIGHTS] = 1_000_000

    reports = download(REPO)

    first, second = hub.gets(WEIGHTS)
    assert first.range is None
    assert second.range_start == 1_000_000
    assert reports[-1].finished
    done = [r.bytes_done for r in reports]
    assert done == sorted(done)  # nothing counted twice, nothing taken back
    assert_complete(cache, repo_files)


def test_offline_mode_or_an_unknown_model_is_a_one_line_download_error(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DownloadError, match="not found on the Hugging Face hub"):
        download("photofind-test/no-such-model")

    from huggingface_hub import constants

    hub.requests.clear()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(DownloadError, match="offline") as caught:
        download(REPO)
    assert len(str(caught.value).splitlines()) == 1
    assert hub.requests == []


def test_the_hub_unreachable_is_a_download_error(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(DownloadError, match="cannot reach the Hugging Face hub"):
        download(REPO)


def test_files_needed_takes_one_set_of_pytorch_weights() -> None:
    common = ["config.json", "preprocessor_config.json", "tokenizer.json", "README.md"]
    assert files_needed("r", [*common, "model.safetensors", "pytorch_model.bin"]) == [
        "config.json",
        "preprocessor_config.json",
        "tokenizer.json",
        "model.safetensors",
    ]
    assert files_needed("r", [*common, "pytorch_model.bin", "tf_model.h5"])[-1] == (
        "pytorch_model.bin"
    )
    sharded = [
        *common,
        "model.safetensors.index.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "pytorch_model.bin",
    ]
    assert files_needed("r", sharded)[-3:] == sharded[4:7]
    with pytest.raises(DownloadError, match="no PyTorch weights"):
        files_needed("r", [*common, "flax_model.msgpack"])
    with pytest.raises(DownloadError, match="not a transformers model"):
        files_needed("r", ["model.safetensors"])


@pytest.mark.slow
def test_encoder_load_downloads_a_hub_model_with_progress_then_matches_the_folder(
    hub: HubServer, cache: Path, tmp_path: Path, encoder
) -> None:
    from photofind.core.model.encoder import Encoder

    reports: list[DownloadProgress] = []
    loaded = Encoder.load(REPO, "cpu", on_download=reports.append)

    assert reports and reports[-1].finished
    assert loaded.name == REPO
    texts = ["a red circle", "a photo of a blue square"]
    np.testing.assert_allclose(loaded.encode_texts(texts), encoder.encode_texts(texts), atol=1e-6)

    # A new process, offline, loads it from the cache alone, to the same vectors.
    photo = tmp_path / "photo.png"
    make_photo("green", "triangle", np.random.default_rng(3)).save(photo)
    script = (
        "import json, sys\n"
        "from PIL import Image\n"
        "from photofind.core.model.encoder import Encoder\n"
        "e = Encoder.load(sys.argv[1], 'cpu')\n"
        "t = e.encode_texts(['a red circle']).tolist()\n"
        "i = e.encode_images([Image.open(sys.argv[2]).convert('RGB')]).tolist()\n"
        "print(json.dumps({'text': t, 'image': i}))\n"
    )
    env = {
        **os.environ,
        "HF_HOME": str(cache.parent),
        "HF_HUB_OFFLINE": "1",
        "HF_ENDPOINT": "http://127.0.0.1:9",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script, REPO, str(photo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    vectors = last_json(proc.stdout)
    assert isinstance(vectors, dict)
    from PIL import Image

    np.testing.assert_allclose(vectors["text"], encoder.encode_texts(["a red circle"]), atol=1e-5)
    image = Image.open(photo).convert("RGB")
    np.testing.assert_allclose(vectors["image"], encoder.encode_images([image]), atol=1e-5)


# --- the command line, as a user runs it ---------------------------------------------------


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i, (colour, shape) in enumerate([("red", "circle"), ("blue", "square")]):
        make_photo(colour, shape, rng).save(folder / f"{i}.jpg")
    return folder


def cli_env(hub: HubServer, cache: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HF_ENDPOINT": hub.endpoint, "HF_HOME": str(cache.parent), **extra}


@pytest.mark.slow
def test_cli_on_a_terminal_shows_a_live_download_line_then_indexes(
    hub: HubServer, cache: Path, tmp_path: Path, photos: Path, repo_files: dict[str, bytes]
) -> None:
    argv = ["--data-dir", str(tmp_path / "d"), "--model", REPO, "index", str(photos), "--json"]
    leader, follower = pty.openpty()
    # A terminal 120 columns wide: the bar is fitted to it (a size of 0 would hide it).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "photofind", *argv],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=cli_env(hub, cache),
    )
    os.close(follower)
    stderr = _read_all(leader)
    stdout, _ = proc.communicate(timeout=300)
    assert proc.wait() == 0, stderr

    # A live bar: what is done, of how much, and how fast.
    live = r"\rDownloading photofind-test/tiny-clip: +\d+%\|[^|]*\| [\d.]+[kM]?/5\.\d+M \[.*B/s\]"
    assert re.search(live, stderr), stderr
    assert "photofind: downloaded model photofind-test/tiny-clip (5.4 MB)" in stderr
    assert last_json(stdout.decode())["encoded"] == 2  # type: ignore[index]
    assert_complete(cache, repo_files)


@pytest.mark.slow
def test_cli_ctrl_c_cancels_the_download_and_the_next_run_resumes_it(
    hub: HubServer, cache: Path, tmp_path: Path, photos: Path, repo_files: dict[str, bytes]
) -> None:
    argv = ["--data-dir", str(tmp_path / "d"), "--model", REPO, "index", str(photos)]
    # The weights stop coming after 1 MB; Ctrl+C then, and the next read times out soon.
    hold = hub.hold[WEIGHTS] = Hold(after=1_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "photofind", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(hub, cache, HF_HUB_DOWNLOAD_TIMEOUT="2"),
    )
    try:
        if not hold.reached.wait(timeout=300):
            proc.kill()
            pytest.fail(f"the download never reached the weights: {proc.communicate()[1]}")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    lines = stderr.strip().splitlines()
    assert proc.returncode == 130, stderr
    assert lines == [
        "photofind: downloading model photofind-test/tiny-clip (5.4 MB) "
        "into the Hugging Face cache",
        "photofind: download of photofind-test/tiny-clip cancelled; what arrived is kept "
        "and the next try resumes it",
    ]
    # What the process had read when it stopped: some of the megabyte the server sent, or a
    # piece more when the stalled connection was reopened before the cancel was seen.
    (partial,) = blobs(cache).glob("*.incomplete")
    kept = partial.stat().st_size
    assert 0 < kept < len(repo_files[WEIGHTS])

    hub.requests.clear()
    rerun = subprocess.run(
        [sys.executable, "-m", "photofind", *argv],
        capture_output=True,
        text=True,
        env=cli_env(hub, cache),
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    (get,) = hub.gets(WEIGHTS)
    assert get.range_start == kept
    assert "resuming at" in rerun.stderr
    assert "photofind: downloaded model photofind-test/tiny-clip (5.4 MB)" in rerun.stderr
    assert_complete(cache, repo_files)


def _read_all(fd: int) -> str:
    """Everything written to a pty until its other end closes."""
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed it
            break
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def test_download_error_is_one_line_from_the_cli(
    hub: HubServer, cache: Path, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "photofind",
            "--data-dir",
            str(tmp_path / "d"),
            "--model",
            "photofind-test/no-such-model",
            "search",
            "a dog",
        ],
        capture_output=True,
        text=True,
        env=cli_env(hub, cache),
        timeout=300,
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("photofind: error: model 'photofind-test/no-such-model' was not found")
