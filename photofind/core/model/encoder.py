"""A loaded CLIP or SigLIP model turning photos and text into L2-normalised vectors, and what
its users need of one. Finding and loading the checkpoint is core.model.loading's; batches of
photos on a CPU go through core.model.onnx_tower once its export is ready."""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from PIL import Image

from photofind.core.model import onnx_tower
from photofind.core.model.loading import load_checkpoint
from photofind.core.model.preprocess import Preprocessing
from photofind.core.model.ref import DEFAULT_MODEL
from photofind.core.model.vectors import unit_features, unit_rows

if TYPE_CHECKING:
    import torch

    from photofind.core.model.download import DownloadProgress

log = logging.getLogger(__name__)

# Batches at least this big go through onnxruntime on the CPU (core.model.onnx_tower): it encodes
# faster (benchmarks/PROFILE.md §6); a single photo would not repay loading the runtime.
ONNX_MIN_BATCH = 4


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

    @property
    def logit_bias(self) -> float | None: ...

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
        self.dim = _embedding_dim(config, text_config)
        # A text tower loaded on its own (Encoder.load(text_only=True)) cannot encode photos.
        self.text_only = not hasattr(model, "get_image_features")
        self._text_length = min(
            int(getattr(tokenizer, "model_max_length", 77) or 77),
            int(text_config.max_position_embeddings),
        )
        # CLIP's causal mask and end-token pooling make padding change nothing, so a batch
        # is padded to its longest text. SigLIP was trained on lowercased texts padded on
        # the right to their full length, with no attention mask: it pools the last
        # position, padding included, and must be fed so.
        self._clip_text = str(getattr(config, "model_type", "")).startswith("clip")
        # Where the image tower's ONNX export is kept; None: photos are encoded by torch.
        self.onnx_cache: Path | None = None
        self._onnx: onnx_tower.OnnxImageTower | None = None
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

    @property
    def logit_bias(self) -> float | None:
        """The trained bias of a model scored by a sigmoid (SigLIP); None for CLIP's softmax."""
        bias = getattr(self.model, "logit_bias", None)
        if bias is None:
            return None
        value = float(bias.detach().float().reshape(-1)[0])
        return value if math.isfinite(value) else None

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
        """Load a local folder or a hub id (see core.model.loading). A hub id not yet in the
        Hugging Face cache is downloaded first, reporting to `on_download`; setting `cancel`
        stops that download with DownloadCancelled, and the next load resumes it.

        `text_only` loads just the text tower where the model family has one of its own (a
        text search in a fresh process needs nothing else)."""
        parts = load_checkpoint(
            ref, device, on_download=on_download, cancel=cancel, text_only=text_only
        )
        encoder = cls(
            parts.model, parts.tokenizer, parts.preprocess, parts.name, parts.device, parts.dtype
        )
        # PHOTOFIND_ONNX=0 keeps torch (to compare, or to rule the runtime out of a problem).
        if (
            parts.device == "cpu"
            and not encoder.text_only
            and os.environ.get("PHOTOFIND_ONNX") != "0"
        ):
            encoder.onnx_cache = onnx_tower.default_cache_dir()
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
            return unit_features(self.model.get_image_features(pixel_values=batch))

    def _onnx_tower(self) -> onnx_tower.OnnxImageTower | None:
        """The runtime for this batch, if ready. The first batch uses a saved export or
        starts one in the background (tens of seconds, once per model and machine) and goes
        through torch meanwhile, as does every batch until the export is done."""
        cache = self.onnx_cache
        if self._onnx is not None or cache is None or self._onnx_export is True:
            return self._onnx
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
        """Unit vectors for `texts` (float32). A search in a fresh process uses
        core.model.text_tower instead, which gives the same vectors without torch."""
        import torch

        if self._clip_text:
            tokens = self.tokenizer(
                list(texts),
                padding="longest",
                max_length=self._text_length,
                truncation=True,
                return_tensors="pt",
            )
        else:
            tokens = self.tokenizer(
                [text.lower() for text in texts],
                padding="max_length",
                padding_side="right",
                max_length=self._text_length,
                truncation=True,
                return_attention_mask=False,
                return_tensors="pt",
            )
        with torch.inference_mode():
            tokens = {k: v.to(self.device) for k, v in tokens.items()}
            if hasattr(self.model, "get_text_features"):
                return unit_features(self.model.get_text_features(**tokens))
            output = self.model(**tokens)
            embeds = getattr(output, "text_embeds", None)
            return unit_features(embeds if embeds is not None else output)


def _embedding_dim(config: Any, text_config: Any) -> int:
    """The length of the model's vectors: CLIP projects both towers to `projection_dim`;
    SigLIP's text head projects to `projection_size`, the image tower's width."""
    for size in (
        getattr(config, "projection_dim", None),
        getattr(text_config, "projection_size", None),
    ):
        if size:
            return int(size)
    return int(text_config.hidden_size)
