"""core.model.text_gate: from CLIP image vectors alone, receipts, screenshots and slides are
picked out for reading and photos without text are left alone (the tiny fixture CLIP)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from shapes import generate_folder
from texts import generate_text_folder

from photofind.core.model.encoder import Encoder
from photofind.core.model.text_gate import THRESHOLD, TextGate


def encode_folder(encoder: Encoder, paths: list[Path]) -> np.ndarray:
    images = []
    for path in paths:
        with Image.open(path) as photo:
            images.append(photo.convert("RGB"))
    return encoder.encode_images(images)


@pytest.fixture(scope="module")
def vectors(
    encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[np.ndarray, np.ndarray]:
    """Image vectors of text photos and of shape photos, as an index run stores them."""
    folder = tmp_path_factory.mktemp("gate")
    texts = generate_text_folder(folder / "texts", per_kind=8, seed=31)
    shapes = generate_folder(folder / "shapes", per_class=2, seed=31)
    return encode_folder(encoder, list(texts)), encode_folder(encoder, list(shapes))


def test_text_photos_pass_and_photos_without_text_do_not(
    encoder: Encoder, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    text_vectors, shape_vectors = vectors
    gate = TextGate(encoder.encode_texts)
    assert gate.likely(text_vectors).all(), gate.scores(text_vectors)
    assert not gate.likely(shape_vectors).any(), gate.scores(shape_vectors)


def test_scores_are_probabilities_with_room_on_both_sides_of_the_threshold(
    encoder: Encoder, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    text_vectors, shape_vectors = vectors
    gate = TextGate(encoder.encode_texts)
    text_scores, shape_scores = gate.scores(text_vectors), gate.scores(shape_vectors)
    assert all(0.0 <= score <= 1.0 for score in [*text_scores, *shape_scores])
    assert text_scores.min() - THRESHOLD > 0.1 and THRESHOLD - shape_scores.max() > 0.1


def test_stored_half_precision_vectors_and_a_single_vector_are_judged_alike(
    encoder: Encoder, vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    text_vectors, shape_vectors = vectors
    both = np.concatenate([text_vectors, shape_vectors])
    gate = TextGate(encoder.encode_texts)
    expected = gate.likely(both)
    assert (gate.likely(both.astype(np.float16)) == expected).all()
    assert gate.likely(both[0]).tolist() == [bool(expected[0])]
