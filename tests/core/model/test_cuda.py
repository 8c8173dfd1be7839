"""The CUDA path: float16 on the GPU must find what float32 on the CPU finds.

These run only where torch sees a CUDA GPU (a lent GPU machine; CI has none). The rest of
the suite covers the same code on the CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import PER_CLASS, run_cli

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def test_gpu_vectors_agree_with_cpu(model_dir: Path, shapes_dir: Path) -> None:
    from photofind.core.model.encoder import Encoder
    from photofind.core.photos.imaging import load_photo

    gpu = Encoder.load(str(model_dir), "cuda")
    cpu = Encoder.load(str(model_dir), "cpu")
    assert gpu.device == "cuda" and gpu.dtype == torch.float16
    images = [load_photo(p.read_bytes()).image for p in sorted(shapes_dir.glob("*.jpg"))[:48]]
    a, b = gpu.encode_images(images), cpu.encode_images(images)
    assert np.min(np.sum(a * b, axis=1)) >= 0.99
    queries = ["a photo of a red circle", "a blue square"]
    t_gpu, t_cpu = gpu.encode_texts(queries), cpu.encode_texts(queries)
    assert np.min(np.sum(t_gpu * t_cpu, axis=1)) >= 0.99


def test_index_and_search_on_the_gpu(model_dir: Path, shapes_dir: Path, tmp_path: Path) -> None:
    common = ["--data-dir", str(tmp_path / "data"), "--model", str(model_dir), "--device", "cuda"]
    code, out, err = run_cli(*common, "index", str(shapes_dir), "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["failed"] == 0
    code, out, err = run_cli(
        *common, "search", "a photo of a red circle", "--top", str(PER_CLASS), "--json"
    )
    assert code == 0, err
    names = [Path(hit["path"]).name for hit in json.loads(out)]
    red_circles = sum(name.startswith("red_circle") for name in names)
    assert red_circles >= 0.9 * PER_CLASS, names


def test_nvjpeg_decodes_what_pillow_decodes(
    model_dir: Path, shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torchvision", reason="GPU JPEG decoding needs torchvision")
    from photofind.core.index import indexer
    from photofind.core.index.store import Store
    from photofind.core.model import gpu_jpeg
    from photofind.core.model.encoder import Encoder
    from photofind.core.photos.imaging import load_photo

    monkeypatch.setenv("PHOTOFIND_GPU_JPEG", "1")
    gpu = Encoder.load(str(model_dir), "cuda")
    decoder = gpu_jpeg.decoder_for(gpu)
    assert decoder is not None, "torchvision is installed and the path asked for"
    paths = sorted(shapes_dir.glob("*.jpg"))
    datas = [p.read_bytes() for p in paths]
    pixels = decoder.pixels(datas, [1] * len(datas))
    assert all(p is not None and p.device.type == "cuda" for p in pixels)
    on_gpu = gpu.encode_pixels(gpu_jpeg.stack(pixels, "cuda"))
    # Pillow decoding every pixel, as nvJPEG does, on the CPU model in float32.
    cpu = Encoder.load(str(model_dir), "cpu")
    full = cpu.encode_images([load_photo(d).image for d in datas])
    assert np.min(np.sum(on_gpu * full, axis=1)) >= 0.99

    calls: list[int] = []
    nvjpeg = gpu_jpeg.nvjpeg_decode

    def counting(datas: list[bytes], device: str) -> list[object]:
        calls.append(len(datas))
        return nvjpeg(datas, device)

    monkeypatch.setattr(gpu_jpeg, "nvjpeg_decode", counting)
    store = Store.open(tmp_path / "data")
    store.add_folder(str(shapes_dir))
    steps = list(indexer.index_library(store, gpu.name, lambda: gpu, [str(shapes_dir)]))
    store.close()
    assert steps[-1].counts.encoded == len(paths) and sum(calls) >= len(paths)
