"""Decoding in worker processes (what a GPU machine uses) gives what decoding in threads does."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from helpers import PER_CLASS
from shapes import CLASSES

from photofind.core.index import decoding, indexer
from photofind.core.index.store import Store
from photofind.core.model.encoder import Encoder
from photofind.core.photos.scanning import FileStat


def _index(folder: Path, data: Path, encoder: Encoder, processes: bool) -> dict[str, np.ndarray]:
    store = Store.open(data)
    store.add_folder(str(folder))
    steps = list(
        indexer.index_library(
            store,
            encoder.name,
            lambda: encoder,
            [str(folder)],
            workers=4,
            decode_processes=processes,
        )
    )
    assert steps[-1].counts.encoded == PER_CLASS * len(CLASSES)
    model_id = store.find_model(encoder.name)
    assert model_id is not None
    ids, matrix = store.vectors(model_id)
    paths = {row.id: path for path, row in store.photos(model_id).items()}
    store.close()
    return {paths[int(i)]: v for i, v in zip(ids, matrix, strict=True)}


@pytest.mark.slow
def test_processes_give_the_same_vectors_as_threads(
    encoder: Encoder, shapes_dir: Path, tmp_path: Path
) -> None:
    threads = _index(shapes_dir, tmp_path / "threads", encoder, processes=False)
    processes = _index(shapes_dir, tmp_path / "processes", encoder, processes=True)
    assert threads.keys() == processes.keys()
    for path, vector in threads.items():
        np.testing.assert_allclose(processes[path], vector, atol=1e-6)


def test_a_file_changed_after_hashing_is_left_for_a_later_run(
    encoder: Encoder, shapes_dir: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    shutil.copy(next(shapes_dir.glob("red_circle_*.jpg")), photo)
    st = photo.stat()
    hashed = decoding.Hashed(FileStat(str(photo), st.st_size, st.st_mtime), "h", b"")
    # A worker process set up as Decoders sets up its own.
    with ProcessPoolExecutor(
        1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=decoding.start_decoder,
        initargs=(encoder.preprocess,),
    ) as worker:
        decoded = worker.submit(decoding.decode_file, hashed).result()
        assert isinstance(decoded, decoding.Decoded) and decoded.pixels.shape[0] == 3

        os.utime(photo, (st.st_atime, st.st_mtime + 5))  # rewritten since it was hashed
        changed = worker.submit(decoding.decode_file, hashed).result()
        assert isinstance(changed, decoding.NotNow) and not changed.vanished

        photo.unlink()
        gone = worker.submit(decoding.decode_file, hashed).result()
        assert isinstance(gone, decoding.NotNow) and gone.vanished


class _RecordingEncoder:
    """Stands in for a model on a GPU, to see the CPU thread budget while indexing; its
    vectors mean nothing and nothing here searches them."""

    device = "cuda"
    dim = 4
    name = "recording"
    in_this_process = True  # its torch threads are this process's

    def __init__(self, preprocess: object) -> None:
        self.preprocess = preprocess
        self.threads_seen: list[int] = []

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        import torch

        self.threads_seen.append(torch.get_num_threads())
        return np.tile(np.eye(1, self.dim, dtype=np.float32), (len(pixels), 1))


def test_indexing_for_a_gpu_model_leaves_the_cpu_to_decoders(
    encoder: Encoder, shapes_dir: Path, tmp_path: Path
) -> None:
    torch = __import__("torch")
    before = torch.get_num_threads()
    gpu = _RecordingEncoder(encoder.preprocess)
    store = Store.open(tmp_path / "data")
    store.add_folder(str(shapes_dir))
    list(
        indexer.index_library(
            store, gpu.name, lambda: gpu, [str(shapes_dir)], workers=2, decode_processes=False
        )
    )
    store.close()
    assert gpu.threads_seen and set(gpu.threads_seen) == {1}
    assert torch.get_num_threads() == before
