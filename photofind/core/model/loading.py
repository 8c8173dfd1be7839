"""Finding a model's checkpoint (a local folder, or a hub id downloaded into the Hugging Face
cache first) and loading its parts through transformers onto a device."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from photofind.core.errors import ModelLoadError, first_line
from photofind.core.model.device import dtype_for, resolve_device
from photofind.core.model.preprocess import Preprocessing
from photofind.core.model.ref import is_hub_id, model_key

if TYPE_CHECKING:
    import torch

    from photofind.core.model.download import DownloadProgress

# Model families whose text tower transformers can load on its own from the whole checkpoint.
# SigLIP 2's fixed-resolution checkpoints (google/siglip2-base-patch16-224 and the like) are
# of type "siglip", with a Gemma tokenizer.
_TEXT_TOWERS = {
    "clip": "CLIPTextModelWithProjection",
    "siglip": "SiglipTextModel",
}
# SigLIP 2's NaFlex checkpoints take patches of a photo at its own aspect ratio, with their
# positions, not a fixed-size picture: the preprocessing and ONNX paths here cannot feed them.
_UNSUPPORTED = {
    "siglip2": "a SigLIP 2 NaFlex model; use a fixed-resolution one such as "
    "google/siglip2-base-patch16-224"
}


@dataclass(frozen=True)
class Checkpoint:
    """A model's parts, loaded onto their device and ready to run."""

    model: Any
    tokenizer: Any
    preprocess: Preprocessing
    name: str  # the model_key of the reference it was loaded from
    device: str
    dtype: torch.dtype


def load_checkpoint(
    ref: str,
    device: str = "auto",
    *,
    on_download: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    text_only: bool = False,
) -> Checkpoint:
    """Load a local folder or a hub id onto `device` (see resolve_device). A hub id not yet
    in the cache is downloaded first (download_if_missing). `text_only` loads just the text
    tower where the model family has one of its own: less to read and to set up."""
    dev = resolve_device(device)
    dtype = dtype_for(dev)
    with _quiet_hub_logs():
        model, tokenizer, processor = _load_parts(ref, dtype, on_download, cancel, text_only)
    model.to(dev).eval()
    preprocess = Preprocessing.from_processor(processor)
    return Checkpoint(model, tokenizer, preprocess, model_key(ref), dev, dtype)


def local_folder(ref: str) -> Path | None:
    """The folder holding `ref`'s files, found without the network: the local folder it
    names, or the cache's snapshot of a downloaded hub id; None when there is none."""
    if is_hub_id(ref):
        from photofind.core.model.download import downloaded_folder

        return downloaded_folder(ref)
    path = Path(ref).expanduser()
    return path if path.is_dir() else None


def download_if_missing(
    ref: str,
    on_download: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Download hub model `ref` into the Hugging Face cache unless it is there already (a
    local folder is left as it is), reporting to `on_download`; `cancel` stops it with
    DownloadCancelled, and the next call resumes. Our own download, not transformers': it
    has progress, cancel and resume."""
    from photofind.core.model.download import download_model, is_downloaded

    if is_downloaded(ref):
        return
    if not _hub_reachable():
        raise ModelLoadError(
            f"model {ref!r} is not downloaded yet and the Hugging Face hub cannot be "
            "reached; connect once to download it, or pass a local model folder with "
            "--model PATH (or PHOTOFIND_MODEL)",
            offline=True,
        )
    download_model(ref, on_download, cancel)


def _load_parts(
    ref: str,
    dtype: torch.dtype,
    on_download: Callable[[DownloadProgress], None] | None,
    cancel: threading.Event | None,
    text_only: bool,
) -> tuple[Any, Any, Any]:
    """(model, tokenizer, image processor) of `ref`, each a typed ModelLoadError away."""
    hub = is_hub_id(ref)
    source = ref if hub else str(Path(ref).expanduser())
    if not hub and not Path(source).is_dir():
        raise ModelLoadError(
            f"model folder {ref!r} does not exist; pass a folder holding a CLIP or SigLIP "
            "checkpoint, or a Hugging Face model id"
        )
    try:
        if hub:
            download_if_missing(ref, on_download, cancel)
        try:
            parts = _from_pretrained(source, dtype, text_only, local_only=True)
        except OSError:
            if not hub:
                raise
            # Something else transformers wants: let it fetch.
            parts = _from_pretrained(source, dtype, text_only, local_only=False)
    except ModelLoadError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        where = f"model {ref!r}" if hub else f"folder {source!r}"
        raise ModelLoadError(
            f"cannot load {where} as a CLIP or SigLIP model ({first_line(exc)}); it needs "
            "config.json, weights, preprocessor_config.json and tokenizer files"
        ) from exc
    model = parts[0]
    whole = hasattr(model, "get_image_features") and hasattr(model, "get_text_features")
    if not whole and not (text_only and type(model).__name__ in _TEXT_TOWERS.values()):
        raise ModelLoadError(
            f"{ref!r} is a {type(model).__name__}, not a CLIP or SigLIP model "
            "with image and text towers"
        )
    return parts


def _from_pretrained(
    source: str, dtype: torch.dtype, text_only: bool, local_only: bool
) -> tuple[Any, Any, Any]:
    import transformers
    from transformers import AutoConfig, AutoImageProcessor, AutoModel, AutoTokenizer

    model_type = AutoConfig.from_pretrained(source, local_files_only=local_only).model_type
    if model_type in _UNSUPPORTED:
        raise ModelLoadError(f"{source!r} is {_UNSUPPORTED[model_type]}")
    tower = _TEXT_TOWERS.get(model_type) if text_only else None
    model_class = getattr(transformers, tower) if tower else None
    return (
        (model_class or AutoModel).from_pretrained(
            source, dtype=dtype, local_files_only=local_only
        ),
        AutoTokenizer.from_pretrained(source, local_files_only=local_only),
        AutoImageProcessor.from_pretrained(source, local_files_only=local_only),
    )


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick connect to the hub, so an offline first run fails in seconds, not after retries."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _quiet_hub_logs() -> Iterator[None]:
    """transformers and the hub client log warnings a user cannot act on; errors still raise."""
    from transformers.utils import logging as hf_logging

    loggers = [logging.getLogger(name) for name in ("transformers", "huggingface_hub")]
    levels = [lg.level for lg in loggers]
    bars = hf_logging.is_progress_bar_enabled()
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    # Bars for reading weights from disk are noise on stderr.
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()
