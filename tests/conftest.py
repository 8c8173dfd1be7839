"""Shared fixtures: the tiny real CLIP, generated photo folders, hermetic paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURE_MODEL = TESTS / "fixture_model" / "tiny-clip"
sys.path.insert(0, str(TESTS))

# Hermetic: no test reads the user's library, settings or Hugging Face cache, or opens a window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from helpers import PER_CLASS  # noqa: E402
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


@pytest.fixture(scope="session")
def model_dir() -> Path:
    assert (FIXTURE_MODEL / "config.json").exists(), (
        "the tiny CLIP fixture is missing; run tests/fixture_model/train_tiny_clip.py"
    )
    return FIXTURE_MODEL


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of generated photos: PER_CLASS per (colour, shape) class, named like
    red_circle_003.jpg."""
    folder = tmp_path_factory.mktemp("shapes")
    generate_folder(folder, per_class=PER_CLASS, seed=1234)
    return folder


@pytest.fixture(scope="session")
def encoder(model_dir: Path):
    from photofind.core.encoder import Encoder

    return Encoder.load(str(model_dir), "cpu")
