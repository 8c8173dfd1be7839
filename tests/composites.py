"""Pictures made of four fixture photos, for tests of where in a picture a query matches."""

from __future__ import annotations

import numpy as np
from PIL import Image
from shapes import make_photo

TARGET = ("red", "circle")
OTHERS = [("blue", "square"), ("green", "triangle"), ("yellow", "circle")]


def composite(quadrant: int, seed: int) -> Image.Image:
    """448 × 448: a red circle photo in `quadrant` (0 top left, 1 top right, 2 bottom left,
    3 bottom right), photos of other shapes and colours in the other three."""
    rng = np.random.default_rng(seed)
    kinds = list(OTHERS)
    rng.shuffle(kinds)
    kinds.insert(quadrant, TARGET)
    picture = Image.new("RGB", (448, 448))
    for i, (colour, shape) in enumerate(kinds):
        photo = make_photo(colour, shape, rng, size=(224, 224))
        picture.paste(photo, ((i % 2) * 224, (i // 2) * 224))
    return picture


def quadrant_of(x: int, y: int, width: int, height: int) -> int:
    return int(x >= width / 2) + 2 * int(y >= height / 2)
