"""core.model.model_process: the whole model served by a child process gives the in-process
model's vectors, says why it cannot load, and ends with the library."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import numpy as np
import pytest
from shapes import CLASSES, caption, make_photo

from photofind.core.errors import ModelLoadError
from photofind.core.library import Library
from photofind.core.model.encoder import Encoder
from photofind.core.model.model_process import ModelProcess


def model_children() -> list[str]:
    return [p.name for p in multiprocessing.active_children() if p.name == "photofind-model"]


@pytest.mark.slow
def test_the_child_gives_the_same_vectors_as_the_model_here(
    model_dir: Path, encoder: Encoder
) -> None:
    served = ModelProcess.start(str(model_dir), "cpu", threads=1)
    assert model_children() == ["photofind-model"]
    try:
        rng = np.random.default_rng(3)
        photos = [make_photo(c, s, rng) for c, s in CLASSES]
        np.testing.assert_allclose(
            served.encode_images(photos), encoder.encode_images(photos), atol=1e-5
        )
        texts = [caption(c, s) for c, s in CLASSES]
        np.testing.assert_allclose(
            served.encode_texts(texts), encoder.encode_texts(texts), atol=1e-5
        )
        assert served.dim == encoder.dim and served.device == "cpu"
        assert served.preprocess.crop == encoder.preprocess.crop
        np.testing.assert_array_equal(served.preprocess.mean, encoder.preprocess.mean)
        assert served.logit_scale == pytest.approx(encoder.logit_scale)
    finally:
        served.close()
    assert not model_children()


@pytest.mark.slow
def test_a_model_that_cannot_load_is_a_typed_error(model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="cannot load folder"):
        ModelProcess.start(str(broken), "cpu")


@pytest.mark.slow
def test_a_library_indexes_through_the_child_and_closes_it(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path / "data", str(model_dir), "cpu", model_in_child=True)
    try:
        library.add_folders([str(shapes_dir)])
        final = list(library.index())[-1]
        assert final.counts.encoded == len(list(shapes_dir.glob("*.jpg")))
        served = library.encoder()
        assert isinstance(served, ModelProcess)
        hits = library.search("a photo of a red circle", 5)
        assert all(Path(h.path).name.startswith("red_circle") for h in hits)
    finally:
        library.close()
    assert not model_children()
