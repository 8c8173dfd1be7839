"""Loading a CLIP-family model and turning photos and text into L2-normalised vectors."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import numpy as np
from PIL import Image

from photofind.core.errors import ModelLoadError, first_line

if TYPE_CHECKING:
    import torch

    from photofind.core.model.download import DownloadProgress
    from photofind.core.model.onnx_tower import OnnxImageTower

log = logging.getLogger(__name__)

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class Preprocessing:
    """The checkpoint's own image preprocessing, done in numpy so it runs on a decode pool."""

    shortest_edge: int | None  # resize keeping aspect ratio (CLIP style) ...
    resize_to: tuple[int, int] | None  # ... or straight to (height, width) (SigLIP style)
    crop: tuple[int, int] | None  # (height, width) centre crop after resizing
    mean: np.ndarray
    std: np.ndarray
    rescale: float
    resample: Image.Resampling

    @classmethod
    def from_processor(cls, proc: Any) -> Preprocessing:
        size = dict(proc.size)
        shortest = size.get("shortest_edge")
        resize_to = None if shortest else (int(size["height"]), int(size["width"]))
        crop = None
        if getattr(proc, "do_center_crop", False) and proc.crop_size:
            crop = (int(proc.crop_size["height"]), int(proc.crop_size["width"]))
        return cls(
            shortest_edge=int(shortest) if shortest else None,
            resize_to=resize_to,
            crop=crop,
            mean=np.asarray(proc.image_mean, dtype=np.float32).reshape(3, 1, 1),
            std=np.asarray(proc.image_std, dtype=np.float32).reshape(3, 1, 1),
            rescale=float(proc.rescale_factor) if getattr(proc, "do_rescale", True) else 1.0,
            resample=Image.Resampling(int(getattr(proc, "resample", Image.Resampling.BICUBIC))),
        )

    @property
    def min_side(self) -> int:
        """The smallest shorter side a decoded photo needs before resizing loses nothing."""
        if self.shortest_edge:
            return self.shortest_edge
        assert self.resize_to is not None
        return max(self.resize_to)

    def resized(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of a `width` × `height` photo after the resize step."""
        if self.shortest_edge:
            short, long = sorted((width, height))
            new_long = int(self.shortest_edge * long / short)
            if width <= height:
                return self.shortest_edge, new_long
            return new_long, self.shortest_edge
        assert self.resize_to is not None
        return self.resize_to[1], self.resize_to[0]

    def __call__(self, image: Image.Image) -> np.ndarray:
        """RGB image -> float32 CHW array, ready for the model."""
        target = self.resized(*image.size)
        if target != image.size:
            image = image.resize(target, self.resample, reducing_gap=3.0)
        if self.crop:
            crop_h, crop_w = self.crop
            left = (image.width - crop_w) // 2
            top = (image.height - crop_h) // 2
            image = image.crop((left, top, left + crop_w, top + crop_h))
        arr = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)
        return ((arr * self.rescale - self.mean) / self.std).astype(np.float32, copy=False)


def resolve_device(preference: str = "auto") -> str:
    import torch

    if preference not in DEVICES:
        raise ModelLoadError(f"unknown device {preference!r}; use one of {', '.join(DEVICES)}")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda was asked for, but no CUDA GPU is available")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise ModelLoadError("--device mps was asked for, but Apple's MPS is not available")
    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


# Batches at least this big go through onnxruntime on the CPU (core.model.onnx_tower): it encodes
# 8-25 % faster (benchmarks); a single photo would not repay loading the runtime.
ONNX_MIN_BATCH = 4


def model_key(ref: str) -> str:
    """The name vectors are stored under: a hub id as given, a folder as its absolute path."""
    path = Path(ref).expanduser()
    return str(path.resolve()) if path.is_dir() else ref


class TextEncoder(Protocol):
    """What text queries need: an Encoder, or the text tower alone (core.model.text_tower)."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


class PhotoEncoder(Protocol):
    """What encoding photos needs: an Encoder, or the same model served by a child process
    (core.model.model_process)."""

    preprocess: Preprocessing
    name: str
    device: str
    dim: int
    in_this_process: bool

    @property
    def logit_scale(self) -> float | None: ...

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray: ...

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray: ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


class Encoder:
    """A loaded model. Not thread-safe: one worker thread owns it (preprocess() is safe)."""

    in_this_process = True  # see core.model.model_process for one that is not

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        preprocess: Preprocessing,
        name: str,
        device: str,
        dtype: torch.dtype,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.preprocess = preprocess
        self.name = name
        self.device = device
        self.dtype = dtype
        config = model.config
        text_config = getattr(config, "text_config", config)
        self.dim = int(getattr(config, "projection_dim", None) or text_config.hidden_size)
        # A text tower loaded on its own (Encoder.load(text_only=True)) cannot encode photos.
        self.text_only = not hasattr(model, "get_image_features")
        self._text_length = min(
            int(getattr(tokenizer, "model_max_length", 77) or 77),
            int(text_config.max_position_embeddings),
        )
        # CLIP's causal mask and end-token pooling make padding change nothing, so a batch
        # is padded to its longest text. Other families (SigLIP pools the last position,
        # padding included) were trained padded to their full length and must be fed so.
        self._pad_to_longest = str(getattr(config, "model_type", "")).startswith("clip")
        # Where the image tower's ONNX export is kept; None: photos are encoded by torch.
        self.onnx_cache: Path | None = None
        self._onnx: OnnxImageTower | None = None
        # None until the first batch; then the background export, or True once settled.
        self._onnx_export: Future[None] | bool | None = None

    @property
    def logit_scale(self) -> float | None:
        """The model's own trained logit scale, where it carries one."""
        scale = getattr(self.model, "logit_scale", None)
        if scale is None:
            return None
        value = float(scale.detach().float().exp())
        return value if math.isfinite(value) and value > 0 else None

    @classmethod
    def load(
        cls,
        ref: str = DEFAULT_MODEL,
        device: str = "auto",
        *,
        on_download: Callable[[DownloadProgress], None] | None = None,
        cancel: threading.Event | None = None,
        text_only: bool = False,
    ) -> Encoder:
        """Load a local folder or a hub id. A hub id not yet in the Hugging Face cache is
        downloaded first (see photofind.core.model.download), reporting to `on_download`; setting
        `cancel` stops that download with DownloadCancelled, and the next load resumes it.

        `text_only` loads just the text tower where the model family has one of its own (a
        text search in a fresh process needs nothing else): less to read and to set up."""
        import torch

        dev = resolve_device(device)
        # Half precision is fast and accurate enough for CLIP on GPUs; CPUs run float32.
        dtype = torch.float16 if dev in ("cuda", "mps") else torch.float32
        with _quiet_hub_logs():
            model, tokenizer, processor = _load_parts(ref, dtype, on_download, cancel, text_only)
        model.to(dev).eval()
        encoder = cls(
            model, tokenizer, Preprocessing.from_processor(processor), model_key(ref), dev, dtype
        )
        # PHOTOFIND_ONNX=0 keeps torch (to compare, or to rule the runtime out of a problem).
        if dev == "cpu" and not encoder.text_only and os.environ.get("PHOTOFIND_ONNX") != "0":
            from photofind.core.model.onnx_tower import default_cache_dir

            encoder.onnx_cache = default_cache_dir()
        return encoder

    def encode_pixels(self, pixels: np.ndarray | torch.Tensor) -> np.ndarray:
        """A batch of preprocessed images (N, 3, H, W) -> (N, dim) unit vectors. A tensor
        may already be on the model's device (photos decoded there, see gpu_jpeg)."""
        import torch

        if self.text_only:
            raise RuntimeError("this encoder holds only the text tower; load the whole model")
        if isinstance(pixels, np.ndarray) and len(pixels) >= ONNX_MIN_BATCH:
            tower = self._onnx_tower()
            if tower is not None:
                try:
                    return unit_rows(tower(pixels.astype(np.float32, copy=False)))
                except Exception as exc:  # the runtime failing mid-run: torch carries on
                    log.warning("onnxruntime failed (%s); encoding photos with torch", exc)
                    self._onnx = None
        with torch.inference_mode():
            if isinstance(pixels, torch.Tensor):
                batch = pixels
            else:
                batch = torch.from_numpy(np.ascontiguousarray(pixels))
            if self.device == "cuda" and batch.device.type == "cpu":
                # From page-locked memory the copy is one DMA transfer the GPU queues behind
                # its work, and the cast to half precision runs on the GPU, not the CPU.
                batch = batch.pin_memory().to(self.device, non_blocking=True)
            batch = batch.to(self.device, self.dtype)
            return _unit(self.model.get_image_features(pixel_values=batch))

    def _onnx_tower(self) -> OnnxImageTower | None:
        """The runtime for this batch, if ready. The first batch uses a saved export or
        starts one in the background (tens of seconds, once per model and machine) and goes
        through torch meanwhile, as does every batch until the export is done."""
        cache = self.onnx_cache
        if self._onnx is not None or cache is None or self._onnx_export is True:
            return self._onnx
        from photofind.core.model import onnx_tower

        if self._onnx_export is None:
            self._onnx = onnx_tower.load_saved(self, cache)
            export = None if self._onnx else onnx_tower.start_export(self, cache)
            self._onnx_export = export or True
        elif self._onnx_export.done():
            self._onnx = onnx_tower.load_saved(self, cache)
            self._onnx_export = True
        return self._onnx

    def wait_for_onnx(self) -> bool:
        """Wait for a background export the encoder started, then load it; whether batches
        now go through onnxruntime. (Indexing never waits for it; tests do.)"""
        if isinstance(self._onnx_export, Future):
            self._onnx_export.result()
            self._onnx_tower()
        return self._onnx is not None

    @property
    def uses_onnx(self) -> bool:
        """Whether batches of photos are being encoded by onnxruntime."""
        return self._onnx is not None

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self.encode_pixels(np.stack([self.preprocess(im) for im in images]))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for `texts` (float32). A CLIP search in a fresh process uses
        core.model.text_tower instead, which gives the same vectors without torch."""
        import torch

        tokens = self.tokenizer(
            list(texts),
            padding="longest" if self._pad_to_longest else "max_length",
            max_length=self._text_length,
            truncation=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            tokens = {k: v.to(self.device) for k, v in tokens.items()}
            if hasattr(self.model, "get_text_features"):
                return _unit(self.model.get_text_features(**tokens))
            output = self.model(**tokens)
            embeds = getattr(output, "text_embeds", None)
            return _unit(embeds if embeds is not None else output)


def image_tower(model: Any) -> Any:
    """The image tower as one module from pixels to features (what the ONNX export records)."""
    import torch

    class ImageTower(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: Any) -> Any:
            out = self.model.get_image_features(pixel_values=pixel_values)
            return out if isinstance(out, torch.Tensor) else out.pooler_output

    return ImageTower(model)


def _unit(output: Any) -> np.ndarray:
    # transformers 5 returns a model output whose pooler_output holds the projected features.
    features = output if hasattr(output, "float") else output.pooler_output
    return unit_rows(features.float().cpu().numpy())


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1, as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _load_parts(
    ref: str,
    dtype: torch.dtype,
    on_download: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    text_only: bool = False,
) -> tuple[Any, Any, Any]:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    path = Path(ref).expanduser()
    looks_like_path = path.is_absolute() or ref.startswith((".", "~")) or path.exists()
    if looks_like_path and not path.is_dir():
        raise ModelLoadError(
            f"model folder {ref!r} does not exist; pass a folder holding a CLIP checkpoint "
            "or a Hugging Face model id"
        )

    def load(local_only: bool) -> tuple[Any, Any, Any]:
        source = str(path) if path.is_dir() else ref
        kwargs = {"local_files_only": local_only}
        model_class = _text_tower_class(source, local_only) if text_only else None
        return (
            (model_class or AutoModel).from_pretrained(source, dtype=dtype, **kwargs),
            AutoTokenizer.from_pretrained(source, **kwargs),
            AutoImageProcessor.from_pretrained(source, **kwargs),
        )

    try:
        if not path.is_dir():
            download_if_missing(ref, on_download, cancel)
        try:
            parts = load(local_only=True)
        except OSError:
            if path.is_dir():
                raise
            parts = load(local_only=False)  # something else transformers wants: let it fetch
    except ModelLoadError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        where = f"folder {str(path)!r}" if path.is_dir() else f"model {ref!r}"
        raise ModelLoadError(
            f"cannot load {where} as a CLIP model ({first_line(exc)}); it needs config.json, "
            "weights, preprocessor_config.json and tokenizer files"
        ) from exc
    model = parts[0]
    whole = hasattr(model, "get_image_features") and hasattr(model, "get_text_features")
    if not whole and not (text_only and type(model).__name__ in _TEXT_TOWERS.values()):
        raise ModelLoadError(
            f"{ref!r} is a {type(model).__name__}, not a CLIP-family model "
            "with image and text towers"
        )
    return parts


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
    for progress in download_model(ref, cancel):
        if on_download is not None:
            on_download(progress)


# Model families whose text tower transformers can load on its own from the whole checkpoint.
_TEXT_TOWERS = {
    "clip": "CLIPTextModelWithProjection",
    "siglip": "SiglipTextModel",
    "siglip2": "Siglip2TextModel",
}


def _text_tower_class(source: str, local_only: bool) -> Any:
    """The text-tower class for the checkpoint's family, or None (then the whole model)."""
    import transformers
    from transformers import AutoConfig

    model_type = AutoConfig.from_pretrained(source, local_files_only=local_only).model_type
    name = _TEXT_TOWERS.get(model_type)
    return getattr(transformers, name, None) if name else None


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
