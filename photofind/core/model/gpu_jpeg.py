"""Decoding JPEGs on the GPU that runs the model (nvJPEG, through torchvision), for indexing.

With the model on a GPU, indexing is bound by the CPU decoding photos: even 16 cores cannot feed
a GPU that encodes far faster than they decode (figures in benchmarks/GPU.md). nvJPEG decodes on
the GPU itself. The photo then never leaves it: it is resized, turned upright, cropped and
normalised there, as `Preprocessing` does on the CPU, and goes straight to the image tower.

Only plain JPEGs (one RGB or greyscale picture: what cameras and phones write) take this
path. Everything else, and any JPEG the GPU fails on, is decoded on the CPU as usual, so
the GPU path never loses a photo. torchvision is optional (`photofind[gpu]`); without it,
or without CUDA, `decoder_for` returns None.

For now the path is taken only with PHOTOFIND_GPU_JPEG=1 in the environment: it has not yet
been measured on a GPU. GPUs with a hardware JPEG decoder (A100, H100) should gain, but on
others nvJPEG does its Huffman stage on the CPU, one photo at a time in the indexing thread,
which may well be slower than the CPU path's one decoding process per core.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from photofind.core.model.preprocess import Preprocessing

if TYPE_CHECKING:
    import torch

    from photofind.core.model.encoder import PhotoEncoder

log = logging.getLogger(__name__)

# Resampling filters torch can run with Pillow's antialiasing; other checkpoints keep the CPU.
_MODES = {Image.Resampling.BICUBIC: "bicubic", Image.Resampling.BILINEAR: "bilinear"}

DecodeFn = Callable[[Sequence[bytes], str], list["torch.Tensor"]]
# Photos decoded by one call: enough for nvJPEG to work in parallel, few enough that their
# full-size pixels (36 MB for 12 MP) fit beside the model on a small GPU.
DECODE_CHUNK = 16


def decoder_for(encoder: PhotoEncoder) -> GpuJpegDecoder | None:
    """A GPU JPEG decoder for `encoder`'s device, or None where there is none to be had: the
    model is not on a CUDA GPU, torchvision is missing or was built without nvJPEG, or the
    checkpoint resizes in a way only Pillow does."""
    if not encoder.device.startswith("cuda") or encoder.preprocess.resample not in _MODES:
        return None
    if not encoder.in_this_process:  # its GPU is another process's: pixels go by the CPU
        return None
    if os.environ.get("PHOTOFIND_GPU_JPEG") != "1":
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torchvision's notes about its optional codecs
            from torchvision.io import decode_jpeg  # noqa: F401
    except Exception as exc:  # any broken torchvision install only means CPU decoding
        log.info("JPEGs decode on the CPU: torchvision unavailable (%s)", exc)
        return None
    decoder = GpuJpegDecoder(encoder.preprocess, encoder.device, nvjpeg_decode)
    if not decoder.works():
        return None
    return decoder


def nvjpeg_decode(datas: Sequence[bytes], device: str) -> list[torch.Tensor]:
    """Whole JPEG files -> uint8 (C, H, W) tensors on `device`, C being 1 or 3. One call
    decodes a batch; it raises if any file fails (torchvision returns no partial results)."""
    import torch
    from torchvision.io import ImageReadMode, decode_jpeg

    # decode_jpeg wants writable CPU tensors; a bytearray is one copy, as cheap as a read.
    inputs = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas]
    if device.startswith("cuda"):
        # torchvision decodes on a stream of its own into memory allocated on the current
        # one, without waiting for it (pytorch/vision#9606): let queued work finish first.
        torch.cuda.current_stream().synchronize()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's deprecation of its decoders (0.29+)
        images = decode_jpeg(inputs, mode=ImageReadMode.UNCHANGED, device=device)
    return list(images) if isinstance(images, list) else [images]


class GpuJpegDecoder:
    """Plain JPEGs -> the model's input, on the GPU. Called by the thread that owns the model."""

    def __init__(self, prep: Preprocessing, device: str, decode: DecodeFn) -> None:
        self.prep = prep
        self.device = device
        self.decode = decode
        # Mean and std on the device, made once: copying them there for every photo would
        # make each photo wait for the GPU to finish the ones before it.
        self._norm: tuple[Any, Any] | None = None

    def works(self) -> bool:
        """Decode one small JPEG: a torchvision built without nvJPEG fails only when used."""
        probe = io.BytesIO()
        Image.new("RGB", (16, 16), (200, 40, 40)).save(probe, "JPEG")
        try:
            decoded = self.pixels([probe.getvalue()], [1])[0]
        except Exception as exc:  # whatever the GPU library raises: decode on the CPU
            log.info("JPEGs decode on the CPU: the GPU decoder failed (%s)", exc)
            return False
        if decoded is None:
            log.info("JPEGs decode on the CPU: the GPU decoder cannot decode a plain JPEG")
        return decoded is not None

    def pixels(self, datas: Sequence[bytes], orientations: Sequence[int]) -> list[Any]:
        """The model's input (3, h, w, float32 on the device) for each JPEG, or None for each
        the GPU could not decode, which the caller then decodes on the CPU."""
        out: list[Any] = []
        # A chunk at a time, each photo prepared and its full-size pixels let go at once: a
        # decoded 12 MP photo takes 36 MB of GPU memory, and the GPU also holds the model.
        for start in range(0, len(datas), DECODE_CHUNK):
            chunk = datas[start : start + DECODE_CHUNK]
            try:
                images: list[Any] = self.decode(chunk, self.device)
            except Exception:  # one bad file fails the chunk: find which, one at a time
                images = [self._one(d) for d in chunk]
            for i, orientation in enumerate(orientations[start : start + DECODE_CHUNK]):
                image, images[i] = images[i], None
                out.append(None if image is None else self._prepared(image, orientation))
        return out

    def _prepared(self, image: Any, orientation: int) -> Any:
        try:
            if self._norm is None:
                self._norm = _normalisation(self.prep, image.device)
            x = prepare(image, orientation, self.prep, self._norm)
        except Exception as exc:  # out of GPU memory for a huge photo, say: the CPU takes it
            log.info("a JPEG goes to the CPU: %s", exc)
            return None
        if self.prep.crop and tuple(x.shape) != (3, *self.prep.crop):
            return None  # smaller than the crop: Pillow pads it, so the CPU path takes it
        return x

    def _one(self, data: bytes) -> Any:
        try:
            return self.decode([data], self.device)[0]
        except Exception as exc:  # the CPU decoder gives the file its verdict and reason
            log.info("a JPEG goes to the CPU: %s", exc)
            return None


def prepare(
    image: torch.Tensor,
    orientation: int,
    prep: Preprocessing,
    norm: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """A decoded JPEG, uint8 (C, H, W) as stored, -> the model's input as `Preprocessing`
    makes it from the upright photo: resized (with Pillow's antialiasing, rounded to 8 bits
    as Pillow's resize is), turned upright, centre-cropped, normalised. float32 (3, h, w).
    `norm`: `prep`'s mean and std already on the image's device."""
    import torch.nn.functional as F

    height, width = image.shape[-2:]
    turned = orientation in (5, 6, 7, 8)
    up_w, up_h = (height, width) if turned else (width, height)
    target_w, target_h = prep.resized(up_w, up_h)
    # Resize in the stored layout, to the stored layout of the upright target.
    size = (target_w, target_h) if turned else (target_h, target_w)
    x = image.unsqueeze(0).float()
    if tuple(x.shape[-2:]) != size:
        x = F.interpolate(x, size=size, mode=_MODES[prep.resample], antialias=True)
        x = x.round_().clamp_(0, 255)
    x = _upright(x[0], orientation)
    if x.shape[0] == 1:  # greyscale: resized as one channel, then given three
        x = x.expand(3, -1, -1)
    if prep.crop:
        crop_h, crop_w = prep.crop
        top = (x.shape[-2] - crop_h) // 2
        left = (x.shape[-1] - crop_w) // 2
        x = x[:, top : top + crop_h, left : left + crop_w]
    mean, std = norm or _normalisation(prep, x.device)
    return ((x * prep.rescale - mean) / std).contiguous()


def _normalisation(prep: Preprocessing, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    return torch.as_tensor(prep.mean, device=device), torch.as_tensor(prep.std, device=device)


def _upright(x: torch.Tensor, orientation: int) -> torch.Tensor:
    """Apply EXIF orientation to a (C, H, W) tensor, as Pillow's transposes do."""
    import torch

    if orientation == 2:
        return x.flip(-1)
    if orientation == 3:
        return x.flip(-2, -1)
    if orientation == 4:
        return x.flip(-2)
    if orientation == 5:
        return x.transpose(-2, -1)
    if orientation == 6:
        return torch.rot90(x, -1, (-2, -1))
    if orientation == 7:
        return x.transpose(-2, -1).flip(-2, -1)
    if orientation == 8:
        return torch.rot90(x, 1, (-2, -1))
    return x


def stack(parts: Sequence[np.ndarray | torch.Tensor], device: str) -> torch.Tensor:
    """One batch on `device` from inputs decoded on the CPU (arrays) and on the GPU."""
    import torch

    return torch.stack(
        [
            p if isinstance(p, torch.Tensor) else torch.from_numpy(p).to(device, non_blocking=True)
            for p in parts
        ]
    )
