"""Show where: the patch grid, and the heat peaking where the fixture model sees the query."""

from __future__ import annotations

import numpy as np
import pytest
from composites import composite, quadrant_of
from PIL import Image

from photofind.core.search.locate import Heatmap, locate, overlay, patch_boxes


def test_patches_cover_the_picture_edge_to_edge_at_every_scale() -> None:
    for width, height in [(448, 448), (640, 360), (100, 701)]:
        boxes = patch_boxes(width, height, scales=(0.5, 0.3))
        covered = np.zeros((height, width), bool)
        for left, top, right, bottom in boxes:
            assert 0 <= left < right <= width and 0 <= top < bottom <= height
            assert right - left == bottom - top  # square
            covered[top:bottom, left:right] = True
        assert covered.all()
    # half-overlapping: at scale 0.5 of a square, 3 × 3 patches
    assert len(patch_boxes(448, 448, scales=(0.5,))) == 9


def test_peak_and_normalised_scores() -> None:
    scores = np.zeros((10, 20), np.float32)
    scores[7, 15] = 0.5
    heatmap = Heatmap(scores, size=(200, 100))
    assert heatmap.peak == (155, 75)
    assert heatmap.normalised.max() == 1.0 and heatmap.normalised.min() == 0.0
    assert Heatmap(np.full((2, 2), 0.3, np.float32), (2, 2)).normalised.max() == 0.0


@pytest.mark.parametrize("quadrant", [0, 1, 2, 3])
def test_the_heat_peaks_over_the_red_circle(encoder, quadrant: int) -> None:
    picture = composite(quadrant, seed=quadrant)
    query = encoder.encode_texts(["a photo of a red circle"])[0]
    heatmap = locate(encoder, picture, query)
    assert quadrant_of(*heatmap.peak, 448, 448) == quadrant
    # and the red circle's quadrant is the hottest on average, not just at one point
    heat = heatmap.normalised
    h, w = heat.shape
    means = [
        heat[: h // 2, : w // 2].mean(),
        heat[: h // 2, w // 2 :].mean(),
        heat[h // 2 :, : w // 2].mean(),
        heat[h // 2 :, w // 2 :].mean(),
    ]
    assert int(np.argmax(means)) == quadrant, means


def test_a_large_photo_is_worked_on_scaled_down_and_mapped_back(encoder) -> None:
    picture = composite(3, seed=9).resize((1792, 1792))
    query = encoder.encode_texts(["a photo of a red circle"])[0]
    heatmap = locate(encoder, picture, query)
    assert max(heatmap.scores.shape) <= 672 and heatmap.size == (1792, 1792)
    assert quadrant_of(*heatmap.peak, 1792, 1792) == 3


def test_the_overlay_is_the_photo_coloured_by_the_heat() -> None:
    photo = Image.new("RGB", (80, 40), (128, 128, 128))
    scores = np.zeros((40, 80), np.float32)
    scores[:, 40:] = 1.0  # right half hot
    shown = np.asarray(overlay(photo, Heatmap(scores, (80, 40))), float)
    assert shown.shape == (40, 80, 3)
    left, right = shown[:, :10].mean(axis=(0, 1)), shown[:, -10:].mean(axis=(0, 1))
    assert right[0] > left[0] + 50 and right[1] > left[1] + 50  # yellow-ish vs dark blue
    assert left[2] > left[0]
