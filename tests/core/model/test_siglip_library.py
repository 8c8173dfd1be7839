"""A library indexed with the tiny real SigLIP: search, find similar, tags (SigLIP's sigmoid
at its own scale and bias), show-where and duplicates all give what a user expects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from composites import composite, quadrant_of
from helpers import PER_CLASS
from PIL import Image
from shapes import CLASSES, caption, generate_folder

from photofind.core.library import Library


def _kind(path: str) -> tuple[str, str]:
    colour, shape, _ = Path(path).name.split("_")
    return colour, shape


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("siglip-photos")
    generate_folder(folder, per_class=PER_CLASS, seed=4321, age_seconds=3600)
    # A smaller, recompressed copy of one photo: the duplicate to find.
    original = folder / "red_circle_000.jpg"
    with Image.open(original) as image:
        copy = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.LANCZOS)
        copy.save(folder / "copy of red circle.jpg", quality=80)
    return folder


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, siglip_dir: Path, photos: Path
) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("siglip-data"), str(siglip_dir), "cpu")
    library.add_folders([str(photos)])
    final = list(library.index())[-1]
    assert final.counts.failed == 0 and final.counts.encoded == PER_CLASS * len(CLASSES) + 1
    yield library
    library.close()


@pytest.mark.parametrize(("colour", "shape"), CLASSES)
def test_a_description_ranks_its_photos_first(library: Library, colour: str, shape: str) -> None:
    hits = [h for h in library.search(caption(colour, shape), 10) if "copy" not in h.path]
    precision = np.mean([_kind(h.path) == (colour, shape) for h in hits[:10]])
    assert precision >= 0.9, f"{caption(colour, shape)}: precision@10 {precision:.2f}"


def test_similar_photos_are_of_the_same_kind(library: Library, photos: Path) -> None:
    precisions = []
    for colour, shape in CLASSES:
        query = photos / f"{colour}_{shape}_001.jpg"
        hits = library.similar(str(query), 5)
        assert str(query) not in [h.path for h in hits]
        precisions.append(np.mean([_kind(h.path) == (colour, shape) for h in hits]))
    assert np.mean(precisions) >= 0.9


def test_tags_are_sigmoid_probabilities_that_name_each_photos_kind(
    library: Library, photos: Path
) -> None:
    lines = [f"{c} {s} = a {c} {s}" for c, s in CLASSES]
    (library.data_dir / "tags.txt").write_text("\n".join(lines) + "\n")
    right = 0
    for colour, shape in CLASSES:
        scores = library.describe(str(photos / f"{colour}_{shape}_002.jpg"), top=len(CLASSES))
        right += scores[0].tag == f"{colour} {shape}"
        # Each tag's probability stands on its own: most photos fit one tag, not a share of 1.
        assert all(0.0 <= s.probability <= 1.0 for s in scores)
        assert scores[-1].probability < 0.05
    assert right >= 0.9 * len(CLASSES)
    counts = library.tag_counts()
    assert counts["blue square"] >= PER_CLASS * 0.75
    assert sum(counts.values()) <= 1.25 * (PER_CLASS * len(CLASSES) + 1)


def test_show_where_peaks_over_the_described_photo(library: Library, tmp_path: Path) -> None:
    for quadrant in range(4):
        path = tmp_path / f"composite{quadrant}.jpg"
        composite(quadrant, seed=30 + quadrant).save(path, quality=92)
        _, heatmap = library.locate(path, "a photo of a red circle")
        assert quadrant_of(*heatmap.peak, 448, 448) == quadrant


def test_a_resized_copy_is_found_as_a_duplicate_of_its_original_alone(library: Library) -> None:
    # The tiny model sees little beyond colour and shape, so other photos of one kind are
    # alike at lower thresholds: at this one the copy's group is itself and its original.
    groups = [{Path(d.path).name for d in group} for group in library.duplicates(0.995)]
    assert {"red_circle_000.jpg", "copy of red circle.jpg"} in groups
