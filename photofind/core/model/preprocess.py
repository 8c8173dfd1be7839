"""The checkpoint's own image preprocessing, done in numpy so it runs on a decode pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image


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
