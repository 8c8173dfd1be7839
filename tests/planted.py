"""A library of real photo files whose stored vectors are planted rather than encoded: for
tests of what is made of the vectors (duplicates), with scores no model could be asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from shapes import make_photo

from photofind.core.index.store import Encoded, Store
from photofind.core.photos.photo import PhotoInfo

MODEL = "planted"


def photo(path: Path, size: tuple[int, int], seed: int = 0) -> Path:
    """A real JPEG at `path` of `size` (width, height): what is kept is the one with the most
    pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_photo("red", "circle", np.random.default_rng(seed), size=size).save(path, quality=90)
    return path


def chain(count: int, cosine: float) -> list[np.ndarray]:
    """Unit vectors in a plane, each `cosine` alike the next: a burst of frames drifting away
    from the first (the k-th scores cos(k·angle) against it)."""
    angle = np.arccos(cosine)
    return [np.array([np.cos(k * angle), np.sin(k * angle)], np.float32) for k in range(count)]


def plant(data_dir: Path, photos: dict[Path, np.ndarray]) -> None:
    """Record the files `photos` (they exist) in the library at `data_dir` as indexed now,
    each with its vector for the model MODEL."""
    store = Store.open(data_dir)
    try:
        model = store.model_id(MODEL, len(next(iter(photos.values()))))
        results = []
        for path, vector in photos.items():
            st = path.stat()
            with Image.open(path) as image:
                info = PhotoInfo(image.width, image.height, None)
            results.append(Encoded(str(path), st.st_size, st.st_mtime, str(path), info, vector))
        store.write(results, model)
    finally:
        store.close()
