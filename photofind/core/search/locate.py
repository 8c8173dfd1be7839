"""Show where: which parts of a photo match a query (zero-shot localisation with CLIP).

CLIP gives one vector per picture, not per region, so the photo is cut into overlapping
square patches at a few sizes; each patch is encoded (in batches) and scored against the
query vector, and every pixel gets the mean score of the patches that cover it. The result is
a coarse map (a few dozen patches), good enough to see which part of a photo a description
is about; it costs a few dozen image encodes, so front ends cache it per photo and query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from photofind.core.model.encoder import PhotoEncoder

# Patch sides as fractions of the photo's shorter side, each patch overlapping its neighbours
# by half (stride = half a side), the way they were measured to find a shape in a quadrant.
SCALES: tuple[float, ...] = (0.6, 0.45, 0.3)
OVERLAP = 0.5
# The photo is scaled down to this long side first: patches are resized to the model's input
# (224 px for CLIP) anyway, and the map is coarse.
WORK_SIDE = 672
BATCH = 32


@dataclass(frozen=True)
class Heatmap:
    """`scores`: per pixel of the (scaled-down) photo, the mean cosine of the patches covering
    it; `size`: the photo's own (width, height), which `scores` spans."""

    scores: np.ndarray  # (h, w) float32
    size: tuple[int, int]

    @property
    def normalised(self) -> np.ndarray:
        """Scores stretched to 0..1 (lowest to highest), as shown."""
        low, high = float(self.scores.min()), float(self.scores.max())
        if high - low < 1e-9:
            return np.zeros_like(self.scores)
        return (self.scores - low) / (high - low)

    @property
    def peak(self) -> tuple[int, int]:
        """(x, y) in the photo's own pixels where the query matches best."""
        h, w = self.scores.shape
        y, x = np.unravel_index(int(np.argmax(self.scores)), self.scores.shape)
        return (int((x + 0.5) * self.size[0] / w), int((y + 0.5) * self.size[1] / h))


def patch_boxes(width: int, height: int, scales: Sequence[float] = SCALES) -> list[tuple]:
    """Overlapping square patches (left, top, right, bottom) covering a width × height
    picture at each scale, edge to edge."""
    boxes = []
    for scale in scales:
        side = max(1, round(scale * min(width, height)))
        stride = max(1, round(side * (1.0 - OVERLAP)))
        xs = _starts(width, side, stride)
        ys = _starts(height, side, stride)
        boxes.extend((x, y, x + side, y + side) for y in ys for x in xs)
    return boxes


def _starts(length: int, side: int, stride: int) -> list[int]:
    starts = list(range(0, max(length - side, 0) + 1, stride))
    if starts[-1] + side < length:
        starts.append(length - side)  # the last patch flush with the edge
    return starts


def locate(
    encoder: PhotoEncoder,
    image: Image.Image,
    query: np.ndarray,
    scales: Sequence[float] = SCALES,
    batch: int = BATCH,
) -> Heatmap:
    """Where in `image` (upright RGB) the query vector (a unit vector: a text's, or a
    query's, see Searcher.query_vector) matches, patch by patch."""
    size = image.size
    scale = min(1.0, WORK_SIDE / max(size))
    work = (
        image
        if scale == 1.0
        else image.resize(
            (max(1, round(size[0] * scale)), max(1, round(size[1] * scale))),
            Image.Resampling.BILINEAR,
        )
    )
    w, h = work.size
    boxes = patch_boxes(w, h, scales)
    scores = np.empty(len(boxes), dtype=np.float32)
    query = np.asarray(query, dtype=np.float32)
    for start in range(0, len(boxes), batch):
        crops = [work.crop(box) for box in boxes[start : start + batch]]
        scores[start : start + len(crops)] = encoder.encode_images(crops) @ query
    total = np.zeros((h, w), dtype=np.float64)
    count = np.zeros((h, w), dtype=np.float64)
    for (left, top, right, bottom), score in zip(boxes, scores, strict=True):
        total[top:bottom, left:right] += score
        count[top:bottom, left:right] += 1
    return Heatmap((total / np.maximum(count, 1)).astype(np.float32), size)


def overlay(image: Image.Image, heatmap: Heatmap, opacity: float = 0.55) -> Image.Image:
    """The photo with the heatmap laid over it: dark blue where the query matches least,
    through red to yellow where it matches best."""
    heat = Image.fromarray((heatmap.normalised * 255).astype(np.uint8), "L")
    heat = heat.resize(image.size, Image.Resampling.BILINEAR)
    # Soften the patches' square edges.
    heat = heat.filter(ImageFilter.GaussianBlur(max(image.size) / 40))
    colours = _colour_map(np.asarray(heat))
    return Image.blend(image.convert("RGB"), Image.fromarray(colours, "RGB"), opacity)


# (position 0..1, RGB): dark blue, purple, red, orange, yellow.
_ANCHORS = np.array(
    [
        (0.0, 20, 20, 90),
        (0.35, 120, 30, 140),
        (0.6, 220, 40, 40),
        (0.8, 250, 150, 30),
        (1.0, 255, 250, 120),
    ],
    dtype=np.float64,
)


def _colour_map(levels: np.ndarray) -> np.ndarray:
    x = levels.astype(np.float64) / 255.0
    channels = [np.interp(x, _ANCHORS[:, 0], _ANCHORS[:, c]) for c in (1, 2, 3)]
    return np.stack(channels, axis=-1).astype(np.uint8)
