"""The first-run download of a hub model into the standard Hugging Face cache: progress (size,
speed, time left), cancel, and resume from the bytes already on disk.

huggingface_hub does the work: `HfApi.model_info` and `get_hf_file_metadata` say what to fetch,
`http_get` streams each file (Range requests, reconnecting after a dropped connection, the size
check) and `hf_hub_download` links the blobs into the snapshot, so `from_pretrained(ref)` finds
them later, offline too. What it lacks, and this module adds:

- resume across runs: `hf_hub_download` writes each file to a name unique to the process and
  deletes it when the transfer fails, so after a cancel or a killed process it starts over. Here
  `http_get` writes to `blobs/<etag>.incomplete`, kept until complete, under the same per-blob
  lock `hf_hub_download` takes;
- cancel: it has no way to stop a transfer. The file it writes to checks `cancel` after each
  piece it is given, and raises DownloadCancelled;
- one progress over all the files: its bars count one file each. `_Tally` is a tqdm that adds
  them up and measures the speed, and reports to a callback instead of a terminal;
- fine-grained pieces: `http_get` hands over 10 MiB at a time (see `_tuned_http_get`).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tqdm import tqdm
from tqdm.utils import CallbackIOWrapper

from photofind.core.atomic import replace_durably
from photofind.core.errors import DownloadCancelled, DownloadError, first_line
from photofind.core.model.ref import is_hub_id

# How often a progress report is made while bytes arrive (the first and last always are).
PROGRESS_INTERVAL_SECONDS = 0.1
# The weight of the newest measurement in tqdm's moving average of the speed: with a report
# every PROGRESS_INTERVAL_SECONDS, about the last five seconds count.
SPEED_SMOOTHING = 0.02
_TUNING = threading.Lock()  # see _tuned_http_get

_CONFIG_FILES = ("config.json", "preprocessor_config.json", "processor_config.json")
# One of these is enough for a tokenizer to load.
_TOKENIZER_CORE = ("tokenizer.json", "vocab.json", "vocab.txt", "tokenizer.model", "spiece.model")
_TOKENIZER_EXTRAS = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
_TOKENIZER_FILES = (*_TOKENIZER_CORE, *_TOKENIZER_EXTRAS, "merges.txt", "sentencepiece.bpe.model")


@dataclass(frozen=True)
class DownloadProgress:
    """Where a model download stands. bytes_* count every file the model needs, including
    what an earlier, interrupted run already downloaded."""

    ref: str  # the hub id being downloaded
    filename: str  # the file being downloaded now
    bytes_done: int
    bytes_total: int
    speed: float  # bytes per second over the last few seconds; 0.0 until measured
    eta_seconds: float | None  # None until the speed is known
    finished: bool = False  # the last report: everything is in the cache

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


# About what the download of a well-known model weighs, to tell before the hub is asked for
# its file list (the first progress report has the exact total).
APPROXIMATE_SIZES = {"openai/clip-vit-base-patch32": 600_000_000}


def is_downloaded(ref: str) -> bool:
    """Whether the cache already holds everything needed to load `ref` (no network used).
    A local folder counts as downloaded."""
    return not is_hub_id(ref) or downloaded_folder(ref) is not None


def downloaded_folder(ref: str) -> Path | None:
    """The folder holding hub model `ref`'s files (the cache's snapshot of its main branch),
    if everything needed to load it is there; None otherwise. No network is used."""
    from huggingface_hub import try_to_load_from_cache

    config = try_to_load_from_cache(ref, "config.json")
    if not isinstance(config, str):
        return None
    snapshot = Path(config).parent
    present = {p.name for p in snapshot.iterdir() if p.is_file()}  # is_file follows links
    complete = (
        "preprocessor_config.json" in present
        and any(name in present for name in _TOKENIZER_CORE)
        and _weights_present(snapshot, present)
    )
    return snapshot if complete else None


def files_needed(ref: str, names: Iterable[str]) -> list[str]:
    """Of a hub repo's files, those transformers reads to load it as a CLIP-family model:
    configs, tokenizer files and one set of PyTorch weights (safetensors when there are)."""
    root = {name for name in names if "/" not in name}
    if "config.json" not in root:
        raise DownloadError(f"{ref!r} on the Hugging Face hub is not a transformers model")
    if "model.safetensors" in root:
        weights = ["model.safetensors"]
    elif "model.safetensors.index.json" in root:
        weights = ["model.safetensors.index.json", *_shards(root, "model-", ".safetensors")]
    elif "pytorch_model.bin" in root:
        weights = ["pytorch_model.bin"]
    elif "pytorch_model.bin.index.json" in root:
        weights = ["pytorch_model.bin.index.json", *_shards(root, "pytorch_model-", ".bin")]
    else:
        raise DownloadError(
            f"{ref!r} on the Hugging Face hub has no PyTorch weights "
            "(model.safetensors or pytorch_model.bin)"
        )
    chosen = [name for name in (*_CONFIG_FILES, *_TOKENIZER_FILES) if name in root]
    return chosen + weights


def download_model(
    ref: str,
    on_progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Download hub model `ref` into the Hugging Face cache, reporting to `on_progress`.

    Does nothing, and uses no network, when `ref` is a local folder or is already in the
    cache. Otherwise the first report comes once the sizes are known, then about every
    PROGRESS_INTERVAL_SECONDS, and the last has `finished=True`; all on the calling thread.
    Setting `cancel` (from any thread) stops it with DownloadCancelled when the next piece
    arrives; what arrived stays on disk and the next call resumes from there, as it does after
    a killed process. Raises DownloadError when the hub cannot be reached or has no such model.
    """
    if is_downloaded(ref):
        return
    try:
        _download(ref, on_progress or (lambda _progress: None), cancel)
    except (DownloadError, DownloadCancelled):
        raise
    except Exception as exc:
        _check(cancel, ref)  # a transfer broken off by the cancel is the cancel
        error = _download_error(ref, exc)
        if error is None:
            raise
        raise error from exc


def _download(
    ref: str, report: Callable[[DownloadProgress], None], cancel: threading.Event | None
) -> None:
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.file_download import repo_folder_name

    if constants.HF_HUB_OFFLINE:
        raise DownloadError(
            f"model {ref!r} is not downloaded yet and Hugging Face offline mode is on "
            "(HF_HUB_OFFLINE)",
            offline=True,
        )
    _check(cancel, ref)
    files = sorted(_plan(ref, cancel), key=lambda f: f.size)  # the small ones first
    cache = Path(constants.HF_HUB_CACHE)
    folder = repo_folder_name(repo_id=ref, repo_type="model")
    blobs, locks = cache / folder / "blobs", cache / ".locks" / folder
    for made in (blobs, locks):
        made.mkdir(parents=True, exist_ok=True)

    counted = {f.name: _on_disk(blobs, f) for f in files}
    total = sum(f.size for f in files)
    tally = _Tally(ref, files[0].name, total, sum(counted.values()), report)
    with tally, _tuned_http_get(cancel, ref):
        for f in files:
            tally.filename = f.name
            with _locked(locks / f"{f.etag}.lock", cancel, ref):
                # Another process may have moved on meanwhile: count what is on disk now.
                tally.update(_on_disk(blobs, f) - counted[f.name])
                _fetch(f, blobs, tally, cancel)
        for f in files:
            _check(cancel, ref)
            # Each blob is in place: this only links it into the snapshot and writes refs/main.
            hf_hub_download(ref, f.name, cache_dir=str(cache), endpoint=constants.ENDPOINT)
        report(tally.progress(finished=True))


@dataclass
class _RemoteFile:
    name: str
    url: str  # where to GET it (the CDN location when the hub redirects there)
    etag: str  # the blob's name in the cache
    size: int


def _plan(ref: str, cancel: threading.Event | None) -> list[_RemoteFile]:
    """The files the model needs, with their cache names, sizes and locations."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url

    info = HfApi().model_info(ref, timeout=constants.HF_HUB_ETAG_TIMEOUT)
    files = []
    for name in files_needed(ref, (s.rfilename for s in info.siblings or [])):
        _check(cancel, ref)
        url = hf_hub_url(ref, name, revision=info.sha or "main")
        meta = get_hf_file_metadata(url, timeout=constants.HF_HUB_ETAG_TIMEOUT)
        if not meta.etag or meta.size is None:
            raise DownloadError(
                f"the Hugging Face hub sent no size or ETag for {name} of {ref!r}; "
                "check HF_ENDPOINT and any proxy"
            )
        files.append(_RemoteFile(name, meta.location or url, meta.etag, meta.size))
    return files


def _fetch(f: _RemoteFile, blobs: Path, tally: _Tally, cancel: threading.Event | None) -> None:
    """Stream one file into blobs/<etag>.incomplete from where it stopped, then move it to
    blobs/<etag>."""
    from huggingface_hub import constants
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    blob, partial = blobs / f.etag, blobs / f"{f.etag}.incomplete"
    if blob.exists():
        return
    have = _size_of(partial)
    if have > f.size:  # not this file after all: start over
        partial.unlink()
        tally.update(-have)
        have = 0
    headers = build_hf_headers()
    if urlparse(f.url).netloc != urlparse(constants.ENDPOINT).netloc:
        headers.pop("authorization", None)  # a signed CDN link: the token stays home

    def bar(initial: int = 0, **_bar_args: object) -> contextlib.nullcontext[_Tally]:
        # `initial` is 0 instead of `have` when the server ignored the Range and sends it all.
        tally.update(initial - have)
        return contextlib.nullcontext(tally)

    with open(partial, "ab") as raw:
        # Each piece is written before `cancel` is looked at: all that arrived is kept.
        out = CallbackIOWrapper(lambda _size: _check(cancel, tally.ref), raw, "write")
        http_get(
            f.url, out, resume_size=have, headers=headers, expected_size=f.size, tqdm_class=bar
        )
    replace_durably(partial, blob)


class _Tally(tqdm):
    """The whole download's bytes. tqdm measures the speed and paces the reports, which go to
    `report` instead of to a terminal."""

    monitor_interval = 0  # no monitor thread: reports come only from the downloading thread

    def __init__(
        self,
        ref: str,
        filename: str,
        total: int,
        initial: int,
        report: Callable[[DownloadProgress], None],
    ) -> None:
        self.ref, self.filename, self._report = ref, filename, report
        super().__init__(
            total=total,
            initial=initial,
            mininterval=PROGRESS_INTERVAL_SECONDS,
            miniters=1,
            smoothing=SPEED_SMOOTHING,
            leave=False,
            file=io.StringIO(),  # never written to: display() reports instead
        )

    def display(self, msg: str | None = None, pos: int | None = None) -> None:
        if msg is None:  # a redraw; close() passes "" to clear the line
            self._report(self.progress())

    def progress(self, finished: bool = False) -> DownloadProgress:
        total = int(self.total)
        done = total if finished else min(int(self.n), total)
        speed = float(self.format_dict["rate"] or 0.0)
        eta = (total - done) / speed if speed > 0 else None
        return DownloadProgress(self.ref, self.filename, done, total, speed, eta, finished)


@contextlib.contextmanager
def _tuned_http_get(cancel: threading.Event | None, ref: str) -> Iterator[None]:
    """http_get reads 10 MiB at a time (constants.DOWNLOAD_CHUNK_SIZE, not a parameter): progress
    and cancel would move in 10 MiB steps, and a dropped connection would lose what came since
    the last one; None hands over each piece as it arrives. It also warns on stderr at each
    reconnect, where the front ends show the download. Both settings are module-wide: they hold
    only while one download runs (the app's two model loads may both want it; one waits)."""
    from huggingface_hub import constants

    while not _TUNING.acquire(timeout=0.5):
        _check(cancel, ref)

    log = logging.getLogger("huggingface_hub.file_download")
    chunk, level = constants.DOWNLOAD_CHUNK_SIZE, log.level
    constants.DOWNLOAD_CHUNK_SIZE = None
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        constants.DOWNLOAD_CHUNK_SIZE = chunk
        log.setLevel(level)
        _TUNING.release()


def _download_error(ref: str, exc: Exception) -> DownloadError | None:
    """One readable line for what the hub client raised; None for anything else."""
    from huggingface_hub import constants
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
    from huggingface_hub.utils import get_session

    # httpx in huggingface_hub 1.x, its fork httpx2 in 2.x: same API, other module.
    http: Any = importlib.import_module(type(get_session()).__module__.split(".")[0])
    if isinstance(exc, GatedRepoError):
        message = (
            f"model {ref!r} is gated on the Hugging Face hub: accept its terms on the hub "
            "and log in with 'hf auth login', or use a local model folder"
        )
    elif isinstance(exc, RepositoryNotFoundError):
        message = (
            f"model {ref!r} was not found on the Hugging Face hub; check its name, "
            "or use a local model folder"
        )
    elif isinstance(exc, HfHubHTTPError):
        message = f"the Hugging Face hub could not serve {ref!r}: {first_line(exc)}"
    elif isinstance(exc, (http.HTTPError, ConnectionError)):  # offline mode among them
        message = (
            f"cannot reach the Hugging Face hub to download {ref!r} ({first_line(exc)}); "
            "check the connection and run again to resume"
        )
        return DownloadError(message, offline=isinstance(exc, ConnectionError))
    elif isinstance(exc, OSError) and exc.errno is None:  # http_get's size check among them
        message = f"the download of {ref!r} did not complete ({first_line(exc)}); run again"
    elif isinstance(exc, OSError):
        message = (
            f"cannot save model {ref!r} into the Hugging Face cache at "
            f"{constants.HF_HUB_CACHE} ({first_line(exc)})"
        )
    else:
        return None
    return DownloadError(message)


@contextlib.contextmanager
def _locked(path: Path, cancel: threading.Event | None, ref: str) -> Iterator[None]:
    """The per-blob lock hf_hub_download itself takes, waited for while watching `cancel`."""
    from filelock import Timeout
    from huggingface_hub.utils import WeakFileLock

    while True:
        _check(cancel, ref)
        with contextlib.suppress(Timeout), WeakFileLock(path, timeout=0.5):
            yield
            return


def _check(cancel: threading.Event | None, ref: str) -> None:
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled(
            f"download of {ref} cancelled; what arrived is kept and the next try resumes it"
        )


def _on_disk(blobs: Path, f: _RemoteFile) -> int:
    """How much of `f` the cache holds: all of it, or what an earlier try received."""
    return f.size if (blobs / f.etag).exists() else _size_of(blobs / f"{f.etag}.incomplete")


def _weights_present(snapshot: Path, present: set[str]) -> bool:
    if "model.safetensors" in present or "pytorch_model.bin" in present:
        return True
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        if index in present:
            import json

            try:
                shards = set(json.loads((snapshot / index).read_text())["weight_map"].values())
            except (OSError, ValueError, KeyError, AttributeError):
                return False
            return shards <= present
    return False


def _shards(root: set[str], prefix: str, suffix: str) -> list[str]:
    return sorted(n for n in root if n.startswith(prefix) and n.endswith(suffix))


def _size_of(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
