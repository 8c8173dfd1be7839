"""The encoder on the tiny real CLIP: its own preprocessing, unit vectors, meaning, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from shapes import CLASSES, caption, make_photo

from photofind.core.errors import ModelLoadError
from photofind.core.model.device import resolve_device
from photofind.core.model.encoder import Encoder
from photofind.core.model.preprocess import Preprocessing
from photofind.core.model.ref import model_key
from photofind.core.photos.imaging import load_photo


def test_preprocessing_comes_from_the_checkpoint(encoder: Encoder, model_dir: Path) -> None:
    config = json.loads((model_dir / "preprocessor_config.json").read_text())
    prep = encoder.preprocess
    assert prep.shortest_edge == config["size"]["shortest_edge"]
    assert prep.crop == (config["crop_size"]["height"], config["crop_size"]["width"])
    assert np.allclose(prep.mean.ravel(), config["image_mean"])
    assert np.allclose(prep.std.ravel(), config["image_std"])
    pixels = prep(make_photo("red", "circle", np.random.default_rng(0), size=(300, 120)))
    assert pixels.shape == (3, *prep.crop) and pixels.dtype == np.float32


def test_preprocessing_matches_transformers_own_processor(model_dir: Path) -> None:
    from transformers import AutoImageProcessor

    processor = AutoImageProcessor.from_pretrained(model_dir)
    image = make_photo("blue", "square", np.random.default_rng(1), size=(257, 190))
    ours = Preprocessing.from_processor(processor)(image)
    theirs = processor(images=image, return_tensors="np")["pixel_values"][0]
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).mean() < 0.02


def test_vectors_are_unit_float32(encoder: Encoder) -> None:
    images = [make_photo(c, s, np.random.default_rng(i)) for i, (c, s) in enumerate(CLASSES[:4])]
    vectors = encoder.encode_images(images)
    texts = encoder.encode_texts(["a photo of a red circle", "green square"])
    for v in (vectors, texts):
        assert v.dtype == np.float32
        assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert vectors.shape == (4, encoder.dim) and texts.shape == (2, encoder.dim)


def test_text_matches_the_photo_it_describes(encoder: Encoder) -> None:
    rng = np.random.default_rng(11)
    images = [make_photo(c, s, rng) for c, s in CLASSES]
    scores = (
        encoder.encode_texts([caption(c, s) for c, s in CLASSES]) @ encoder.encode_images(images).T
    )
    # Zero-shot classification: each photo's best caption is its own.
    assert (scores.argmax(axis=0) == np.arange(len(CLASSES))).mean() >= 0.9


@pytest.mark.slow
def test_reduced_scale_jpeg_decoding_gives_the_same_vector(
    encoder: Encoder, tmp_path: Path
) -> None:
    big = make_photo("yellow", "triangle", np.random.default_rng(3), size=(2400, 1800))
    path = tmp_path / "big.jpg"
    big.save(path, quality=92)
    data = path.read_bytes()
    full = load_photo(data).image
    draft = load_photo(data, min_side=encoder.preprocess.min_side).image
    assert draft.size[0] < full.size[0]
    v_full, v_draft = encoder.encode_images([full, draft])
    assert float(v_full @ v_draft) >= 0.99


def test_device_choice() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda", "mps")
    with pytest.raises(ModelLoadError, match="unknown device"):
        resolve_device("tpu")


def test_model_key_names_folders_by_absolute_path(model_dir: Path) -> None:
    assert model_key(str(model_dir)) == str(model_dir.resolve())
    assert model_key("openai/clip-vit-base-patch32") == "openai/clip-vit-base-patch32"


def test_incomplete_model_folder_is_a_typed_error(model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    next(broken.glob("*.safetensors")).unlink()
    with pytest.raises(ModelLoadError, match="cannot load folder"):
        Encoder.load(str(broken), "cpu")


def test_text_tower_alone_gives_the_same_query_vectors(
    encoder: Encoder, model_dir: Path, tmp_path: Path
) -> None:
    text_only = Encoder.load(str(model_dir), "cpu", text_only=True)
    assert text_only.text_only and not encoder.text_only
    queries = [caption(c, s) for c, s in CLASSES]
    assert np.allclose(text_only.encode_texts(queries), encoder.encode_texts(queries), atol=1e-5)
    with pytest.raises(RuntimeError):
        text_only.encode_images([make_photo("red", "circle", np.random.default_rng(0))])

    # A process that only searches by text loads only the text tower, here without
    # transformers (tests/core/test_text_tower.py).
    from photofind.core.library import Library
    from photofind.core.model.text_tower import ClipTextTower

    library = Library(tmp_path / "data", str(model_dir), "cpu")
    try:
        library.searcher.text("a photo of a red circle")
        assert isinstance(library.text_encoder(), ClipTextTower)
        assert not library.encoder_loaded
    finally:
        library.close()


def test_only_clip_queries_are_padded_short(encoder: Encoder) -> None:
    """SigLIP pools the last position, padding included, and was trained padded to its full
    length with no attention mask: its queries must be fed that way (CLIP's end-token
    pooling ignores padding)."""
    import torch
    from transformers import SiglipConfig, SiglipModel

    small = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1}
    config = SiglipConfig(
        text_config={**small, "num_attention_heads": 2, "vocab_size": 49408},
        vision_config={**small, "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
    )
    torch.manual_seed(0)
    siglip = Encoder(
        SiglipModel(config).eval(),
        encoder.tokenizer,
        encoder.preprocess,
        "tiny-siglip",
        "cpu",
        torch.float32,
    )
    text = ["a photo of a red circle"]

    def padded_to(length: int) -> np.ndarray:
        tokens = encoder.tokenizer(
            text,
            padding="max_length",
            max_length=length,
            return_attention_mask=False,
            return_tensors="pt",
        )
        with torch.inference_mode():
            out = siglip.model.get_text_features(**tokens)
        features = (out if isinstance(out, torch.Tensor) else out.pooler_output).numpy()
        return features / np.linalg.norm(features, axis=1, keepdims=True)

    full = config.text_config.max_position_embeddings
    assert np.allclose(siglip.encode_texts(text), padded_to(full), atol=1e-6)
    assert not np.allclose(siglip.encode_texts(text), padded_to(16), atol=1e-3)
