"""The pipeline bound's parts, E (encoder) and D (decode), and the naive loop to beat.

Everything here runs in the benchmark's own process, on the same photos and model the
`photofind index` runs use, so the ratios compare like with like.
"""

from __future__ import annotations

import copy
import hashlib
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from photofind.core.model.encoder import Encoder
from photofind.core.model.preprocess import Preprocessing
from photofind.core.photos.imaging import load_photo

if TYPE_CHECKING:
    import torch


@dataclass
class EncoderRates:
    """Photos per second of the image tower alone, per (dtype, batch size)."""

    rates: dict[tuple[str, int], float] = field(default_factory=dict)
    bf16_cosine: float | None = None  # worst agreement of bf16 with fp32 vectors

    @property
    def best(self) -> tuple[str, int, float]:
        (dtype, batch), rate = max(self.rates.items(), key=lambda kv: kv[1])
        return dtype, batch, rate


def _timed_batches(run: Callable[[], object], batches: int) -> list[float]:
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def _pixels(count: int) -> torch.Tensor:
    import torch

    return torch.randn(count, 3, 224, 224, generator=torch.Generator().manual_seed(0))


def measure_float32(
    encoder: Encoder, batch_sizes: Sequence[int], images_per_size: int
) -> EncoderRates:
    """E: `get_image_features` on ready tensors, torch at its default (all-core) threads.

    The first batch of every shape is discarded: oneDNN builds its kernels per shape, a cost
    an indexing run pays once, not per batch. The median batch time gives the rate, so a
    burst from another process on a shared machine moves it less than a mean would.
    """
    import torch

    out = EncoderRates()
    model = encoder.model
    pixels = _pixels(max(batch_sizes))
    with torch.inference_mode():
        for bs in batch_sizes:
            x = pixels[:bs].contiguous()
            model.get_image_features(pixel_values=x)
            batches = max(2, math.ceil(images_per_size / bs))
            times = _timed_batches(lambda x=x: model.get_image_features(pixel_values=x), batches)
            out.rates[("float32", bs)] = bs / statistics.median(times)
    return out


@dataclass
class OnnxRates:
    """The image tower under onnxruntime (photofind's CPU path, core.model.onnx_tower)."""

    rates: EncoderRates
    export_seconds: float  # the one-time export and check, as the first indexing run pays
    load_seconds: float  # loading the export and checking it, as every later process pays
    cosine: float  # worst agreement with torch's vectors on the timed batch


def measure_onnx(
    encoder: Encoder, batch_sizes: Sequence[int], images_per_size: int, cache: Path
) -> OnnxRates | None:
    """E through onnxruntime, timed as `measure_float32` times torch; None where photofind
    would not use it (the runtime is missing or disagrees with torch)."""
    import torch

    from photofind.core.model import onnx_tower

    start = time.perf_counter()
    tower = onnx_tower.load(encoder, cache)
    export = time.perf_counter() - start
    if tower is None:
        return None
    start = time.perf_counter()
    tower = onnx_tower.load(encoder, cache)
    load = time.perf_counter() - start
    assert tower is not None
    out = EncoderRates()
    pixels = _pixels(max(batch_sizes)).numpy()
    for bs in batch_sizes:
        x = np.ascontiguousarray(pixels[:bs])
        tower(x)
        batches = max(2, math.ceil(images_per_size / bs))
        times = _timed_batches(lambda x=x: tower(x), batches)
        out.rates[("float32, onnxruntime", bs)] = bs / statistics.median(times)
    x = pixels[: min(batch_sizes)]
    ours = tower(x)
    with torch.inference_mode():
        theirs = _features(encoder.model.get_image_features(pixel_values=torch.from_numpy(x)))
    cos = (ours * theirs).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
    return OnnxRates(out, export, load, float(cos.min()))


def measure_bfloat16(encoder: Encoder, batch: int, batches: int) -> EncoderRates:
    """E in bfloat16, and how closely its vectors agree with float32's (worst cosine).

    bfloat16 halves memory traffic, but without AVX512-BF16/AMX every multiply is emulated;
    it is measured anyway so the report can say so with a number.
    """
    import torch

    out = EncoderRates()
    pixels = _pixels(batch)
    with torch.inference_mode():
        half = copy.deepcopy(encoder.model).to(torch.bfloat16)
        x = pixels.to(torch.bfloat16)
        half.get_image_features(pixel_values=x)
        times = _timed_batches(lambda: half.get_image_features(pixel_values=x), batches)
        out.rates[("bfloat16", batch)] = batch / statistics.median(times)
        ref = _features(encoder.model.get_image_features(pixel_values=pixels))
        low = _features(half.get_image_features(pixel_values=x))
        out.bf16_cosine = float(np.min(np.sum(ref * low, axis=1)))
    return out


def _features(output: object) -> np.ndarray:
    tensor = output if hasattr(output, "float") else output.pooler_output  # type: ignore[attr-defined]
    arr = tensor.float().numpy()
    return arr / np.linalg.norm(arr, axis=1, keepdims=True)


@dataclass
class DecodeCosts:
    """Seconds per photo on one core (the benchmark's main thread), medians over photos."""

    photofind: float  # load_photo(min_side) + Preprocessing: the engine's own path
    reference: float  # draft decode + one resize straight into the crop box + normalise
    full: float  # full-size decode + the same preprocessing, for comparison
    read: float  # reading the file (from the page cache)
    hash: float  # blake2b-128 of the file, as the indexer does
    mean_bytes: float
    max_pixel_diff: float  # reference path vs photofind path, in 0..255 units

    @property
    def best(self) -> tuple[str, float]:
        return min(
            (("photofind", self.photofind), ("reference", self.reference)), key=lambda x: x[1]
        )


def reference_preprocess(data: bytes, prep: Preprocessing) -> np.ndarray:
    """The fastest way known here to get CLIP's 224x224 input from a JPEG.

    Same as the engine's path (DCT-domain draft decode, EXIF rotation, bicubic resize of the
    shorter side, centre crop, normalise) except that one `resize(box=...)` resamples only
    the pixels inside the crop, instead of resizing the whole frame and cropping after.
    """
    assert prep.shortest_edge and prep.crop
    loaded = load_photo(data, min_side=prep.shortest_edge)
    image = loaded.image
    w, h = image.size
    crop_h, crop_w = prep.crop
    # Where the crop lands in the resized frame, mapped back to source pixels.
    new_w = prep.shortest_edge if w <= h else int(prep.shortest_edge * w / h)
    new_h = prep.shortest_edge if h < w else int(prep.shortest_edge * h / w)
    left = (new_w - crop_w) // 2
    top = (new_h - crop_h) // 2
    sx, sy = w / new_w, h / new_h
    box = (left * sx, top * sy, (left + crop_w) * sx, (top + crop_h) * sy)
    image = image.resize((crop_w, crop_h), prep.resample, box=box)
    arr = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)
    return (arr * prep.rescale - prep.mean) / prep.std


def measure_decode(paths: Sequence[Path], prep: Preprocessing, full_count: int) -> DecodeCosts:
    """D and friends, one photo at a time on this thread: one core's cost per photo."""
    datas = [p.read_bytes() for p in paths]

    def per_photo(fn: Callable[[bytes], object], items: Sequence[bytes]) -> float:
        fn(items[0])  # first call pays for lazy imports and plugin set-up
        times = []
        for data in items:
            start = time.perf_counter()
            fn(data)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    def engine(data: bytes) -> np.ndarray:
        return prep(load_photo(data, min_side=prep.min_side).image)

    def full(data: bytes) -> np.ndarray:
        return prep(load_photo(data).image)

    read_times = []
    for p in paths:
        start = time.perf_counter()
        p.read_bytes()
        read_times.append(time.perf_counter() - start)

    diffs = [
        float(np.max(np.abs((engine(d) - reference_preprocess(d, prep)) * prep.std / prep.rescale)))
        for d in datas[:4]
    ]
    return DecodeCosts(
        photofind=per_photo(engine, datas),
        reference=per_photo(lambda d: reference_preprocess(d, prep), datas),
        full=per_photo(full, datas[:full_count]),
        read=statistics.median(read_times),
        hash=per_photo(lambda d: hashlib.blake2b(d, digest_size=16).hexdigest(), datas),
        mean_bytes=float(np.mean([len(d) for d in datas])),
        max_pixel_diff=max(diffs),
    )


def pipeline_bound(e_rate: float, d_seconds: float, cores: int) -> float:
    """B = 1 / (1/E + D/cores): decoding spread over every core, overlapping perfectly
    with encoding, which also has every core; neither waits for the other."""
    return 1.0 / (1.0 / e_rate + d_seconds / cores)


def measure_naive(model_dir: Path, paths: Sequence[Path], batch: int = 16) -> float:
    """The loop a first attempt would write: full-size PIL decode, `CLIPProcessor`,
    `get_image_features` in float32, batches of 16. Returns photos per second.

    The model load and one warm-up batch of the same shape are left out, as the marginal
    rate leaves out photofind's start-up; what remains is the steady per-photo cost.
    """
    import torch
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    processor = CLIPProcessor.from_pretrained(str(model_dir))
    with torch.inference_mode():
        model.get_image_features(pixel_values=torch.zeros(batch, 3, 224, 224))
        start = time.perf_counter()
        for i in range(0, len(paths), batch):
            images = [Image.open(p).convert("RGB") for p in paths[i : i + batch]]
            inputs = processor(images=images, return_tensors="pt")
            model.get_image_features(pixel_values=inputs["pixel_values"])
        elapsed = time.perf_counter() - start
    return len(paths) / elapsed
