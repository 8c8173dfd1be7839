"""Shared fixtures: the tiny real CLIP, generated photo folders, hermetic paths."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
FIXTURE_MODEL = TESTS / "fixture_model" / "tiny-clip"
sys.path.insert(0, str(TESTS))

# Hermetic: no test reads the user's library, settings or Hugging Face cache, or opens a window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from helpers import PER_CLASS  # noqa: E402
from hub_server import FIXTURE_REPO, HubServer, repo_from_folder  # noqa: E402
from shapes import generate_folder  # noqa: E402


@pytest.fixture(autouse=True)
def _hermetic_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    for var in ("PHOTOFIND_DATA_DIR", "PHOTOFIND_MODEL", "PHOTOFIND_DEVICE"):
        monkeypatch.delenv(var, raising=False)
    # Reading text in photos is asked for by the tests about it (PHOTOFIND_OCR=auto or all);
    # elsewhere an index run ends, as before, once its photos are encoded.
    monkeypatch.setenv("PHOTOFIND_OCR", "off")


@pytest.fixture(scope="session", autouse=True)
def _shared_export_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One ONNX export of the fixture model's image tower serves the whole session, child
    processes included (core.model.onnx_tower keeps exports in PHOTOFIND_CACHE_DIR)."""
    with pytest.MonkeyPatch.context() as patch:
        cache = tmp_path_factory.mktemp("cache")
        patch.setenv("PHOTOFIND_CACHE_DIR", str(cache))
        # Made now, so no test leaves an export running in the background for later ones.
        from photofind.core.model import onnx_tower
        from photofind.core.model.encoder import Encoder

        encoder = Encoder.load(str(FIXTURE_MODEL), "cpu")
        assert encoder.onnx_cache is not None
        onnx_tower.load(encoder, encoder.onnx_cache)
        yield


@pytest.fixture(scope="session")
def model_dir() -> Path:
    assert (FIXTURE_MODEL / "config.json").exists(), (
        "the tiny CLIP fixture is missing; run tests/fixture_model/train_tiny_clip.py"
    )
    return FIXTURE_MODEL


@pytest.fixture(scope="session")
def siglip_dir() -> Path:
    """The tiny SigLIP fixture, laid out as SigLIP 2's fixed-resolution checkpoints are."""
    folder = TESTS / "fixture_model" / "tiny-siglip"
    assert (folder / "config.json").exists(), (
        "the tiny SigLIP fixture is missing; run tests/fixture_model/train_tiny_siglip.py"
    )
    return folder


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of generated photos: PER_CLASS per (colour, shape) class, named like
    red_circle_003.jpg."""
    folder = tmp_path_factory.mktemp("shapes")
    # Written an hour ago: else the app's settle delay for files still being copied would
    # split a test's first index run by how long ago each file happened to be generated.
    generate_folder(folder, per_class=PER_CLASS, seed=1234, age_seconds=3600)
    return folder


@pytest.fixture(scope="session")
def encoder(model_dir: Path):
    from photofind.core.model.encoder import Encoder

    return Encoder.load(str(model_dir), "cpu")


# -- a stand-in Hugging Face hub serving the fixture model (tests/hub_server.py) --


@pytest.fixture(scope="session")
def repo_files(model_dir: Path) -> dict[str, bytes]:
    """The fixture model as a hub repo, with the other weight formats a real repo has."""
    rng = np.random.default_rng(6)
    return repo_from_folder(
        model_dir,
        **{
            ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
            "pytorch_model.bin": rng.bytes(300_000),
            "tf_model.h5": rng.bytes(200_000),
            "flax_model.msgpack": rng.bytes(200_000),
            "onnx/model.onnx": rng.bytes(100_000),
        },
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """The Hugging Face cache of HF_HOME=tmp_path/hf, where every test's downloads land."""
    return tmp_path / "hf" / "hub"


@pytest.fixture
def hub(
    repo_files: dict[str, bytes], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HubServer]:
    """The stand-in hub, with this process's huggingface_hub pointed at it and at `cache`
    (it reads HF_ENDPOINT and HF_HOME once, at import). Every chunk is reported, so tests
    follow the transfer chunk by chunk without timing anything."""
    from huggingface_hub import constants

    with HubServer({FIXTURE_REPO: repo_files}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        monkeypatch.setattr(constants, "ENDPOINT", server.endpoint)
        monkeypatch.setattr(
            constants,
            "HUGGINGFACE_CO_URL_TEMPLATE",
            server.endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        )
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        from photofind.core.model import download

        monkeypatch.setattr(download, "PROGRESS_INTERVAL_SECONDS", 0.0)
        yield server
