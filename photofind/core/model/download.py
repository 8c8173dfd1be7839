"""The first-run download of a hub model into the standard Hugging Face cache: progress (size,
speed, time left), cancel, and resume from the bytes already on disk.

`download_model` fetches only what transformers needs to load a CLIP-family model (config,
preprocessing, tokenizer and one set of PyTorch weights), streams each file into the cache's
`blobs/<etag>.incomplete` with HTTP Range requests, so a dropped connection, a cancel or a
killed process costs only what was not yet received, then lets huggingface_hub link the blobs
into the snapshot, so `from_pretrained(ref)` finds them later, offline too.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from photofind.core.atomic import replace_durably
from photofind.core.errors import DownloadCancelled, DownloadError, first_line

# How often a progress report is yielded while bytes arrive (the first and last always are).
PROGRESS_INTERVAL_SECONDS = 0.1
# Speed is measured over this much recent time, so it follows the connection as it changes.
SPEED_WINDOW_SECONDS = 5.0
# Waits before reconnecting after a dropped connection; the count resets whenever bytes arrive.
RETRY_DELAYS_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)

_CONFIG_FILES = ("config.json", "preprocessor_config.json", "processor_config.json")
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
)
# One of these is enough for a tokenizer to load.
_TOKENIZER_CORE = ("tokenizer.json", "vocab.json", "vocab.txt", "tokenizer.model", "spiece.model")
_SHA256 = re.compile(r"[0-9a-f]{64}")


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


def is_hub_id(ref: str) -> bool:
    """Whether `ref` names a hub model rather than a local folder (the way Encoder.load tells)."""
    path = Path(ref).expanduser()
    return not (path.is_absolute() or ref.startswith((".", "~")) or path.exists())


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
    snapshot = _snapshot_dir(_cache_dir(), ref)
    if snapshot is None:
        return None
    present = {p.name for p in snapshot.iterdir() if p.is_file()}  # is_file follows links
    complete = (
        "config.json" in present
        and "preprocessor_config.json" in present
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


def download_model(ref: str, cancel: threading.Event | None = None) -> Iterator[DownloadProgress]:
    """Download hub model `ref` into the Hugging Face cache, yielding progress as it goes.

    Yields nothing, and uses no network, when `ref` is a local folder or is already in the
    cache. Otherwise the first report comes once the sizes are known, then about every
    PROGRESS_INTERVAL_SECONDS, and the last has `finished=True`. Setting `cancel` (from any
    thread) stops it within a moment with DownloadCancelled; what arrived stays on disk and
    the next call resumes from there, as it does after a dropped connection or a killed
    process. Raises DownloadError when the hub cannot be reached or has no such model.
    Iterate it on one thread; the cache is locked per file against other processes.
    """
    try:
        yield from _download(ref, cancel)
    except (DownloadError, DownloadCancelled):
        raise
    except ConnectionError as exc:  # huggingface_hub's OfflineModeIsEnabled among them
        raise DownloadError(
            f"cannot reach the Hugging Face hub to download {ref!r} ({first_line(exc)})",
            offline=True,
        ) from exc
    except OSError as exc:
        raise DownloadError(
            f"cannot save model {ref!r} into the Hugging Face cache at {_cache_dir()} "
            f"({first_line(exc)})"
        ) from exc


def _download(ref: str, cancel: threading.Event | None) -> Iterator[DownloadProgress]:
    if is_downloaded(ref):
        return
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE or _env_true("HF_HUB_OFFLINE"):
        raise DownloadError(
            f"model {ref!r} is not downloaded yet and Hugging Face offline mode is on "
            "(HF_HUB_OFFLINE)",
            offline=True,
        )
    _check(cancel, ref)
    session = _Session(ref, constants.ENDPOINT.rstrip("/"), cancel)
    files = sorted(session.plan(), key=lambda f: f.size)  # the small ones first
    cache = Path(_cache_dir())
    blobs = cache / _repo_folder(ref) / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    locks = cache / ".locks" / _repo_folder(ref)
    locks.mkdir(parents=True, exist_ok=True)

    tally = _Tally(ref, sum(f.size for f in files))
    counted = {}  # bytes of each file already on disk, in the first report
    for f in files:
        counted[f.name] = f.size if (blobs / f.etag).exists() else _size_of(_partial(blobs, f))
        tally.done += counted[f.name]
    yield tally.report(files[0].name)
    for f in files:
        if (blobs / f.etag).exists():
            continue
        with _locked(locks / f"{f.etag}.lock", cancel, ref):
            # Another process may have moved on meanwhile: count what is on disk now.
            now_there = f.size if (blobs / f.etag).exists() else _size_of(_partial(blobs, f))
            tally.done += now_there - counted[f.name]
            if not (blobs / f.etag).exists():
                yield from session.fetch(f, blobs, tally)
    session.link([f.name for f in files])
    tally.done = tally.total
    yield tally.report(files[-1].name, finished=True)


@dataclass
class _RemoteFile:
    name: str
    url: str  # where to GET it (the CDN location when the hub redirects there)
    etag: str  # the blob's name in the cache
    size: int


class _Tally:
    def __init__(self, ref: str, total: int) -> None:
        self.ref = ref
        self.total = total
        self.done = 0
        self.received = 0  # bytes received by this call, for the speed
        self._samples: deque[tuple[float, int]] = deque()
        self._speed = 0.0
        self._reported = 0.0

    def add(self, count: int) -> None:
        self.done += count
        self.received += count

    def due(self) -> bool:
        return time.monotonic() - self._reported >= PROGRESS_INTERVAL_SECONDS

    def report(self, filename: str, finished: bool = False) -> DownloadProgress:
        now = time.monotonic()
        self._reported = now
        samples = self._samples
        samples.append((now, self.received))
        while len(samples) > 2 and now - samples[1][0] >= SPEED_WINDOW_SECONDS:
            samples.popleft()
        start, received = samples[0]
        if now - start >= 0.5:
            self._speed = (self.received - received) / (now - start)
        done = min(self.done, self.total)
        eta = (self.total - done) / self._speed if self._speed > 0 else None
        return DownloadProgress(
            self.ref, filename, done, self.total, self._speed, eta, finished=finished
        )


class _Session:
    """Talks to the hub through huggingface_hub's own HTTP client (proxies, token, certs)."""

    def __init__(self, ref: str, endpoint: str, cancel: threading.Event | None) -> None:
        from huggingface_hub.utils import build_hf_headers, get_session

        self.ref = ref
        self.endpoint = endpoint
        self.cancel = cancel
        self.client = get_session()
        # huggingface_hub 1.x runs on httpx, 2.x on its fork httpx2: same API, other module.
        self.http: Any = importlib.import_module(type(self.client).__module__.split(".")[0])
        self.headers = build_hf_headers()
        self.commit = "main"

    def plan(self) -> list[_RemoteFile]:
        """The commit to download and the files it needs, with their cache names and sizes."""
        from huggingface_hub import HfApi, constants
        from huggingface_hub.file_download import get_hf_file_metadata

        with self._hub_errors():
            info = HfApi(endpoint=self.endpoint).model_info(
                self.ref, timeout=constants.HF_HUB_ETAG_TIMEOUT
            )
            self.commit = info.sha or "main"
            names = files_needed(self.ref, (s.rfilename for s in info.siblings or []))
            files = []
            for name in names:
                _check(self.cancel, self.ref)
                url = f"{self.endpoint}/{self.ref}/resolve/{self.commit}/{quote(name)}"
                meta = get_hf_file_metadata(url, timeout=constants.HF_HUB_ETAG_TIMEOUT)
                if not meta.etag or meta.size is None:
                    raise DownloadError(
                        f"the Hugging Face hub sent no size or ETag for {name} of {self.ref!r}; "
                        "check HF_ENDPOINT and any proxy"
                    )
                files.append(_RemoteFile(name, meta.location or url, meta.etag, meta.size))
        return files

    def fetch(self, f: _RemoteFile, blobs: Path, tally: _Tally) -> Iterator[DownloadProgress]:
        """Stream one file into blobs/<etag>.incomplete, resuming from what is there, then
        check it and move it to blobs/<etag>."""
        partial = _partial(blobs, f)
        if f.size == 0:
            partial.touch()
        failures = 0
        while True:
            have = _size_of(partial)
            if have > f.size:  # not this file after all: start over
                partial.unlink()
                tally.done -= have
                have = 0
            if have == f.size:
                break
            headers = {**self.headers, "Accept-Encoding": "identity"}
            if urlparse(f.url).netloc != urlparse(self.endpoint).netloc:
                headers.pop("authorization", None)  # a signed CDN link: the token stays home
            if have:
                headers["Range"] = f"bytes={have}-"
            received = 0
            try:
                with self.client.stream(
                    "GET", f.url, headers=headers, timeout=_timeout(), follow_redirects=True
                ) as response:
                    if response.status_code == 416:  # the range is past the end: start over
                        partial.unlink(missing_ok=True)
                        tally.done -= have
                        failures += 1
                        continue
                    if response.status_code >= 400:
                        response.read()
                        from huggingface_hub.utils import hf_raise_for_status

                        hf_raise_for_status(response)
                    if have and response.status_code != 206:  # the server ignored the Range
                        tally.done -= have
                        have = 0
                    with open(partial, "ab" if have else "wb") as out:
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                            received += len(chunk)
                            tally.add(len(chunk))
                            _check(self.cancel, self.ref)
                            if tally.due():
                                yield tally.report(f.name)
            except self.http.HTTPError as exc:
                if not _transient(exc, self.http):
                    raise DownloadError(
                        f"downloading {f.name} of {self.ref!r} failed: {first_line(exc)}"
                    ) from exc
                if _status(exc) in (401, 403, 410):  # the signed CDN link expired: ask again
                    f.url = self._location(f)
                failures = 0 if received else failures + 1
                if failures > len(RETRY_DELAYS_SECONDS):
                    raise DownloadError(
                        f"the connection to the Hugging Face hub keeps failing while downloading "
                        f"{self.ref!r} ({first_line(exc)}); run again to resume"
                    ) from exc
                self._wait(RETRY_DELAYS_SECONDS[max(failures - 1, 0)])
                continue
            if not received:  # a whole answer, yet nothing new: do not spin
                failures += 1
                if failures > len(RETRY_DELAYS_SECONDS):
                    raise DownloadError(
                        f"the Hugging Face hub sent {f.name} of {self.ref!r} short "
                        f"({_size_of(partial)} of {f.size} bytes); run again to resume"
                    )
        if _SHA256.fullmatch(f.etag) and _sha256(partial, self.cancel, self.ref) != f.etag:
            partial.unlink()
            tally.done -= f.size
            raise DownloadError(
                f"{f.name} of {self.ref!r} arrived damaged (checksum mismatch) and was "
                "removed; run again to download it afresh"
            )
        replace_durably(partial, blobs / f.etag)

    def link(self, names: list[str]) -> None:
        """Let huggingface_hub put the blobs into the snapshot (links or copies, refs/main)
        exactly as its own downloads do; each file is found in blobs/, so nothing is fetched."""
        from huggingface_hub import hf_hub_download

        with self._hub_errors():
            for name in names:
                _check(self.cancel, self.ref)
                hf_hub_download(self.ref, name, cache_dir=_cache_dir(), endpoint=self.endpoint)

    def _location(self, f: _RemoteFile) -> str:
        from huggingface_hub import constants
        from huggingface_hub.file_download import get_hf_file_metadata

        url = f"{self.endpoint}/{self.ref}/resolve/{self.commit}/{quote(f.name)}"
        with self._hub_errors():
            meta = get_hf_file_metadata(url, timeout=constants.HF_HUB_ETAG_TIMEOUT)
        return meta.location or url

    def _wait(self, seconds: float) -> None:
        (self.cancel or threading.Event()).wait(seconds)
        _check(self.cancel, self.ref)

    @contextlib.contextmanager
    def _hub_errors(self) -> Iterator[None]:
        """Turns the hub client's errors into DownloadError with one readable line."""
        try:
            yield
        except (DownloadError, DownloadCancelled):
            raise
        except Exception as exc:
            message = _hub_message(self.ref, exc, self.http)
            if message is None:
                raise
            raise DownloadError(message) from exc


def _hub_message(ref: str, exc: Exception, http: Any) -> str | None:
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    if isinstance(exc, GatedRepoError):
        return (
            f"model {ref!r} is gated on the Hugging Face hub: accept its terms on the hub "
            "and log in with 'hf auth login', or use a local model folder"
        )
    if isinstance(exc, RepositoryNotFoundError):
        return (
            f"model {ref!r} was not found on the Hugging Face hub; check its name, "
            "or use a local model folder"
        )
    if isinstance(exc, OfflineModeIsEnabled):
        return f"model {ref!r} is not downloaded yet and Hugging Face offline mode is on"
    if isinstance(exc, HfHubHTTPError):
        return f"the Hugging Face hub could not serve {ref!r}: {first_line(exc)}"
    if isinstance(exc, (http.HTTPError, OSError)):
        return (
            f"cannot reach the Hugging Face hub to download {ref!r} ({first_line(exc)}); "
            "check the connection and run again"
        )
    return None


@contextlib.contextmanager
def _locked(path: Path, cancel: threading.Event | None, ref: str) -> Iterator[None]:
    """The per-blob lock huggingface_hub itself takes, waited for while watching `cancel`."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(path))
    while True:
        try:
            lock.acquire(timeout=0.5)
            break
        except Timeout:
            _check(cancel, ref)
    try:
        yield
    finally:
        lock.release()


def _transient(exc: BaseException, http: Any) -> bool:
    """A dropped or stalled connection, or a server error worth trying again."""
    if isinstance(exc, http.TransportError):
        return not isinstance(exc, (http.UnsupportedProtocol, http.ProxyError))
    return _status(exc) in (401, 403, 408, 410, 429, 500, 502, 503, 504)


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _check(cancel: threading.Event | None, ref: str) -> None:
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled(
            f"download of {ref} cancelled; what arrived is kept and the next try resumes it"
        )


def _sha256(path: Path, cancel: threading.Event | None, ref: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 << 20):
            digest.update(block)
            _check(cancel, ref)
    return digest.hexdigest()


def _timeout() -> float:
    from huggingface_hub import constants

    return float(constants.HF_HUB_DOWNLOAD_TIMEOUT)


def _cache_dir() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _partial(blobs: Path, f: _RemoteFile) -> Path:
    return blobs / f"{f.etag}.incomplete"


def _repo_folder(ref: str) -> str:
    return "models--" + ref.replace("/", "--")


def _snapshot_dir(cache: str, ref: str) -> Path | None:
    storage = Path(cache) / _repo_folder(ref)
    try:
        commit = (storage / "refs" / "main").read_text().strip()
    except OSError:
        return None
    snapshot = storage / "snapshots" / commit
    return snapshot if commit and snapshot.is_dir() else None


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
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes", "on")
