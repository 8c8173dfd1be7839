"""Deterministic synthetic "photos" of coloured shapes.

Used both to train the tiny CLIP fixture (tests/fixture_model/) and by tests that need a photo
folder with known content.  Every photo shows exactly one shape whose colour is the only saturated
colour in the picture, so a caption like "a photo of a red circle" describes it unambiguously.
"""

from __future__ import annotations

import colorsys
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow")
CLASSES: list[tuple[str, str]] = [(colour, shape) for colour in COLOURS for shape in SHAPES]

# Captions the fixture model was trained on; the first is the canonical query.
TEMPLATES: tuple[str, ...] = (
    "a photo of a {colour} {shape}",
    "a {colour} {shape}",
    "{colour} {shape}",
    "a picture of a {colour} {shape}",
)

# (hue in degrees, hue jitter, min saturation, min value): hues are kept far apart and yellow stays
# bright, because dark or desaturated yellow reads as olive/brown rather than yellow.
_HSV: dict[str, tuple[float, float, float, float]] = {
    "red": (0.0, 8.0, 0.7, 0.65),
    "green": (125.0, 12.0, 0.6, 0.55),
    "blue": (220.0, 10.0, 0.6, 0.6),
    "yellow": (55.0, 5.0, 0.7, 0.85),
}

_MIN_SIDE, _MAX_SIDE = 96, 320
# Amplitude of the grain on the shape itself: a little sensor noise, never enough to shift its hue.
_FILL_GRAIN = 0.07


def caption(colour: str, shape: str, template: str = TEMPLATES[0]) -> str:
    """Caption of a ``colour`` ``shape`` photo; by default "a photo of a {colour} {shape}"."""
    return template.format(colour=colour, shape=shape)


def _shape_rgb(colour: str, rng: np.random.Generator) -> np.ndarray:
    hue, jitter, min_sat, min_val = _HSV[colour]
    h = ((hue + rng.uniform(-jitter, jitter)) % 360.0) / 360.0
    rgb = colorsys.hsv_to_rgb(h, rng.uniform(min_sat, 1.0), rng.uniform(min_val, 1.0))
    return np.array(rgb, dtype=np.float32)


def _unit_grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Broadcastable x (1, W) and y (H, 1) coordinates running from -0.5 to 0.5."""
    xs = np.linspace(-0.5, 0.5, width, dtype=np.float32)[None, :]
    ys = np.linspace(-0.5, 0.5, height, dtype=np.float32)[:, None]
    return xs, ys


def _background(width: int, height: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Background pixels (H, W, 3) without grain, and the amplitude of the grain to add."""
    # Grey with at most a faint tint, so that the background never carries a colour word itself.
    tint = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.0, 0.12), rng.uniform(0.3, 0.85))
    base = np.array(tint, dtype=np.float32)

    cells = int(rng.integers(3, 12))
    coarse = rng.normal(0.0, 1.0, (cells, cells)).astype(np.float32)
    blotches = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))
    xs, ys = _unit_grid(width, height)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ramp = (np.cos(angle) * xs + np.sin(angle) * ys) * rng.uniform(-0.2, 0.2)

    luminance = blotches * rng.uniform(0.03, 0.12) + ramp
    return base + luminance[..., None], rng.uniform(0.04, 0.17)


def _outline(shape: str, side: float, rng: np.random.Generator) -> np.ndarray:
    """Vertices (N, 2) of the shape centred on the origin; a circle is a dense polygon."""
    if shape == "circle":
        turns = np.linspace(0.0, 2.0 * np.pi, 96, endpoint=False)
        return np.stack([np.cos(turns), np.sin(turns)], axis=1) * side / 2.0
    if shape == "square":
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * side / 2.0
        # Tilted much further, a 20-pixel square (its size after CLIP's resize) starts to read as
        # round to a model as small as the test fixture.
        tilt = np.deg2rad(rng.uniform(-15.0, 15.0))
    elif shape == "triangle":
        # Upright (apex up) so it stays distinct from the square; the app handles photo orientation.
        turns = np.deg2rad([-90.0, 30.0, 150.0])
        corners = np.stack([np.cos(turns), np.sin(turns)], axis=1) * side / np.sqrt(3.0)
        tilt = np.deg2rad(rng.uniform(-12.0, 12.0))
    else:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")
    rotation = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
    return corners @ rotation.T


def _random_size(rng: np.random.Generator) -> tuple[int, int]:
    short = int(rng.integers(_MIN_SIDE, 241))
    long = min(_MAX_SIDE, round(short * rng.uniform(1.05, 1.4)))
    return (long, short) if rng.uniform() < 0.5 else (short, long)


def make_photo(
    colour: str,
    shape: str,
    rng: np.random.Generator,
    size: tuple[int, int] | None = None,
) -> Image.Image:
    """An RGB photo of one ``colour`` ``shape`` on a textured, near-neutral background.

    ``size`` is (width, height); by default it is random, non-square, 96-320 px per side.  The
    shape spans 30-70% of the short side and lies inside the central square of the photo, because
    CLIP preprocessing centre-crops to that square and would cut off a shape outside it.
    """
    if colour not in _HSV:
        raise ValueError(f"unknown colour {colour!r}; expected one of {COLOURS}")
    width, height = size if size is not None else _random_size(rng)
    short = min(width, height)

    outline = _outline(shape, rng.uniform(0.3, 0.7) * short, rng)
    low, high = outline.min(axis=0), outline.max(axis=0)
    crop_origin = np.array([(width - short) / 2.0, (height - short) / 2.0])
    slack = np.maximum(short - (high - low), 0.0)
    offset = crop_origin - low + rng.uniform(0.0, 1.0, 2) * slack

    mask_image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask_image).polygon([tuple(p) for p in outline + offset], fill=255)
    # A slight blur stands in for the anti-aliased, slightly soft edges of a real photo.
    mask_image = mask_image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    mask = np.asarray(mask_image, dtype=np.float32)[..., None] / 255.0

    xs, ys = _unit_grid(width, height)
    shading = 1.0 + rng.uniform(-0.12, 0.12) * xs + rng.uniform(-0.12, 0.12) * ys
    fill = _shape_rgb(colour, rng) * shading[..., None]
    background, grain = _background(width, height, rng)

    # Uniform rather than Gaussian grain: it looks the same and is several times cheaper to draw,
    # which matters when training generates thousands of photos.
    noise = rng.random((height, width, 3), dtype=np.float32) - 0.5
    amplitude = grain + mask * (_FILL_GRAIN - grain)
    pixels = background + mask * (fill - background) + noise * amplitude
    return Image.fromarray((np.clip(pixels, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


def generate_folder(
    folder: Path,
    per_class: int,
    seed: int = 0,
    ext: str = ".jpg",
    age_seconds: float = 0.0,
) -> dict[Path, tuple[str, str]]:
    """Write ``per_class`` photos of every class into ``folder`` as ``red_circle_003.jpg`` etc.

    Each photo is seeded by (seed, class, index) alone, so a smaller ``per_class`` yields a subset
    of the same files.  ``age_seconds`` dates them that far back, as the photos in a person's
    folders are: the app leaves files modified in its last seconds (a copy in progress) for a
    later run.  Returns each written path with its (colour, shape).
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[Path, tuple[str, str]] = {}
    for class_index, (colour, shape) in enumerate(CLASSES):
        for i in range(per_class):
            rng = np.random.default_rng([seed, class_index, i])
            path = folder / f"{colour}_{shape}_{i:03d}{ext}"
            photo = make_photo(colour, shape, rng)
            if ext.lower() in {".jpg", ".jpeg"}:
                photo.save(path, quality=90)
            else:
                photo.save(path)
            written[path] = (colour, shape)
            if age_seconds:
                then = time.time() - age_seconds
                os.utime(path, (then, then))
    return written
