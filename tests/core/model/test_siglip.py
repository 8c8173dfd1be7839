"""The SigLIP family through core.model, with the tiny real SigLIP (tests/fixture_model): it
loads like google/siglip2-base-patch16-224, its photos are preprocessed as its own processor
does, its text is fed as it was trained, and its photos go through onnxruntime."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from shapes import CLASSES, caption, make_photo

from photofind.core.errors import ModelLoadError
from photofind.core.model.encoder import Encoder
from photofind.core.model.text_tower import ClipTextTower

TEXTS = [
    "a photo of a red circle",
    "Two DOGS  running\tacross a frosty field!",
    "ünïcödé café 東京 🐶",
    "x",
    "",
    "a very long caption " * 40,  # past the 64-token context: cut as transformers cuts it
]


@pytest.fixture(scope="module")
def siglip(siglip_dir: Path) -> Encoder:
    return Encoder.load(str(siglip_dir), "cpu")


def _photos(per_class: int, seed: int) -> tuple[list[Image.Image], list[tuple[str, str]]]:
    photos, kinds = [], []
    for c, kind in enumerate(CLASSES):
        for i in range(per_class):
            photos.append(make_photo(*kind, np.random.default_rng([seed, c, i])))
            kinds.append(kind)
    return photos, kinds


def test_it_loads_as_a_siglip_model_with_its_own_scale_and_bias(siglip: Encoder) -> None:
    assert type(siglip.model).__name__ == "SiglipModel"
    assert siglip.dim == siglip.model.config.vision_config.hidden_size
    assert siglip.logit_scale is not None and siglip.logit_scale > 1
    # Trained with a sigmoid: a negative bias keeps unrelated pairs near probability 0.
    assert siglip.logit_bias is not None and siglip.logit_bias < 0


def test_photos_are_squashed_to_the_square_its_processor_makes(
    siglip: Encoder, siglip_dir: Path
) -> None:
    from transformers import AutoImageProcessor

    assert siglip.preprocess.crop is None and siglip.preprocess.resize_to == (64, 64)
    photo = make_photo("red", "circle", np.random.default_rng(3), size=(300, 200))
    theirs = AutoImageProcessor.from_pretrained(siglip_dir)(images=[photo], return_tensors="np")
    ours = siglip.preprocess(photo)
    assert ours.shape == theirs["pixel_values"][0].shape == (3, 64, 64)
    assert np.abs(ours - theirs["pixel_values"][0]).mean() < 0.02


@pytest.mark.parametrize(("colour", "shape"), CLASSES)
def test_a_description_finds_its_photos_first(siglip: Encoder, colour: str, shape: str) -> None:
    photos, kinds = _photos(per_class=10, seed=41)
    vectors = siglip.encode_images(photos)
    query = siglip.encode_texts([caption(colour, shape)])[0]
    top = np.argsort(-(vectors @ query))[:10]
    precision = np.mean([kinds[i] == (colour, shape) for i in top])
    assert precision >= 0.9, f"{caption(colour, shape)}: precision@10 {precision:.2f}"


def test_text_is_fed_as_siglip_was_trained_on_it(siglip: Encoder) -> None:
    # Lowercased, and padded to the full length, so case and batch-mates change nothing.
    alone = siglip.encode_texts(["a photo of a red circle"])[0]
    shouted = siglip.encode_texts(["A Photo Of A RED Circle"])[0]
    batched = siglip.encode_texts(["a photo of a red circle", "a much longer text " * 3])[0]
    np.testing.assert_allclose(shouted, alone, atol=1e-6)
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    assert siglip.encode_texts(["x"]).shape == (1, siglip.dim)


def test_the_text_tower_alone_gives_the_whole_models_vectors(
    siglip: Encoder, siglip_dir: Path
) -> None:
    tower = Encoder.load(str(siglip_dir), "cpu", text_only=True)
    assert tower.text_only and type(tower.model).__name__ == "SiglipTextModel"
    texts = [caption(c, s) for c, s in CLASSES]
    np.testing.assert_allclose(tower.encode_texts(texts), siglip.encode_texts(texts), atol=1e-5)


def test_the_onnx_text_tower_gives_the_models_own_vectors_scale_and_bias(
    siglip: Encoder, siglip_dir: Path
) -> None:
    tower = ClipTextTower.load(str(siglip_dir))
    assert tower is not None
    np.testing.assert_allclose(tower.encode_texts(TEXTS), siglip.encode_texts(TEXTS), atol=1e-5)
    for text in TEXTS:
        np.testing.assert_allclose(
            tower.encode_texts([text]), siglip.encode_texts([text]), atol=1e-5
        )
    assert tower.logit_scale == pytest.approx(siglip.logit_scale, rel=1e-6)
    assert tower.logit_bias == pytest.approx(siglip.logit_bias, rel=1e-6)


def test_the_onnx_text_towers_tokens_are_transformers_tokens(siglip_dir: Path) -> None:
    from transformers import AutoTokenizer

    tower = ClipTextTower.load(str(siglip_dir))
    assert tower is not None
    lowered = [text.lower() for text in TEXTS]
    theirs = AutoTokenizer.from_pretrained(siglip_dir)(lowered, truncation=True)["input_ids"]
    assert [e.ids for e in tower.tokenizer.encode_batch(lowered)] == theirs
    assert len(theirs[-1]) == 64


def test_a_tokenizer_that_adds_its_own_tokens_goes_back_to_transformers(
    siglip_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    shutil.copytree(siglip_dir, folder)
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "add_bos_token": True}))
    assert ClipTextTower.load(str(folder)) is None


def test_batches_of_photos_go_through_onnxruntime_with_the_same_vectors(
    siglip_dir: Path,
) -> None:
    encoder = Encoder.load(str(siglip_dir), "cpu")
    photos, kinds = _photos(per_class=1, seed=5)
    by_torch = encoder.encode_images(photos)  # the first batch starts the export
    assert encoder.wait_for_onnx() and encoder.uses_onnx
    by_onnx = encoder.encode_images(photos)
    cosines = (by_onnx * by_torch).sum(axis=1)
    assert cosines.min() > 0.999
    # and they still find their photos
    query = encoder.encode_texts([caption(*kinds[4])])[0]
    assert int(np.argmax(by_onnx @ query)) == 4


def test_a_siglip2_naflex_checkpoint_is_refused_with_the_way_out(
    siglip_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "naflex"
    shutil.copytree(siglip_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "siglip2"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match=r"NaFlex.*siglip2-base-patch16-224"):
        Encoder.load(str(folder), "cpu")


def test_a_siglip_checkpoint_with_a_sentencepiece_tokenizer_loads_and_encodes(
    tmp_path: Path, siglip_dir: Path
) -> None:
    """SigLIP 1 checkpoints (google/siglip-base-patch16-256-multilingual among them) carry a
    SentencePiece model instead of tokenizer.json: they load and encode text and photos.
    The tokenizer here is trained on the fixture's captions, not the one the weights learnt
    with, so the vectors are checked for their shape only, not for meaning."""
    import sentencepiece

    model = tmp_path / "siglip-spm"
    model.mkdir()
    for name in ("config.json", "model.safetensors", "preprocessor_config.json"):
        shutil.copy(siglip_dir / name, model / name)
    captions = tmp_path / "captions.txt"
    captions.write_text("\n".join(caption(c, s) for c, s in CLASSES * 20), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(captions),
        model_prefix=str(tmp_path / "spiece"),
        vocab_size=40,
        hard_vocab_limit=False,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        minloglevel=2,
    )
    from transformers import SiglipTokenizer

    SiglipTokenizer(str(tmp_path / "spiece.model"), model_max_length=64).save_pretrained(model)
    encoder = Encoder.load(str(model), "cpu")
    texts = encoder.encode_texts(["a photo of a red circle", "A BLUE SQUARE"])
    photos = encoder.encode_images([make_photo("red", "circle", np.random.default_rng(3))])
    assert texts.shape == (2, encoder.dim) and photos.shape == (1, encoder.dim)
    assert np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-3)
