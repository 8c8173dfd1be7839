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
    from photofind.core.encoder import Encoder
    from photofind.core.imaging import load_photo

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
