"""core.model.text_tower: CLIP's text tower on onnxruntime, without torch or transformers, gives
transformers' own vectors, and hands anything it does not recognise back to transformers."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import index_into, last_json, with_older_tokenizer_files
from hub_server import FIXTURE_REPO, HubServer
from shapes import CLASSES, caption

from photofind.core.library import Library
from photofind.core.model.encoder import Encoder
from photofind.core.model.text_tower import ClipTextTower, load_early

TEXTS = [
    "a photo of a red circle",
    "Two DOGS  running\tacross a frosty field!",
    "ünïcödé café 東京 🐶",
    "it's a bird's nest, isn't it?",
    "x",
    "",
    "a very long caption " * 40,  # past the 77-token context: cut as transformers cuts it
]


def transformers_vectors(folder: Path, texts: list[str]) -> np.ndarray:
    """CLIPModel.get_text_features in float32, through transformers' own tokenizer."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(folder, dtype=torch.float32).eval()
    tokens = AutoTokenizer.from_pretrained(folder)(
        texts, padding=True, truncation=True, return_tensors="pt"
    )
    with torch.inference_mode():
        out = model.get_text_features(**tokens)
    features = (out if isinstance(out, torch.Tensor) else out.pooler_output).numpy()
    return features / np.linalg.norm(features, axis=1, keepdims=True)


def edited_copy(model_dir: Path, tmp_path: Path, **text_config: object) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["text_config"].update(text_config)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_vectors_match_transformers_one_text_at_a_time_and_in_a_batch(model_dir: Path) -> None:
    tower = ClipTextTower.load(str(model_dir))
    assert tower is not None
    want = transformers_vectors(model_dir, TEXTS)
    np.testing.assert_allclose(tower.encode_texts(TEXTS), want, atol=1e-5)
    for text, vector in zip(TEXTS, want, strict=True):
        np.testing.assert_allclose(tower.encode_texts([text])[0], vector, atol=1e-5)
    assert tower.encode_texts(TEXTS).dtype == np.float32


def test_tokens_are_transformers_tokens(model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tower = ClipTextTower.load(str(model_dir))
    assert tower is not None
    theirs = AutoTokenizer.from_pretrained(model_dir)(TEXTS, truncation=True)["input_ids"]
    ours = [e.ids for e in tower.tokenizer.encode_batch(TEXTS)]
    assert ours == theirs
    assert len(ours[-1]) == 77 and ours[-1][-1] == tower.pad_id


def test_the_tower_finds_the_photo_a_query_describes(model_dir: Path, encoder: Encoder) -> None:
    """Each class's caption is nearest that class's own caption vector from the whole model:
    the same meaning, not only the same numbers on a few strings."""
    tower = ClipTextTower.load(str(model_dir))
    assert tower is not None
    captions = [caption(c, s) for c, s in CLASSES]
    ours, whole = tower.encode_texts(captions), encoder.encode_texts(captions)
    assert (np.argmax(ours @ whole.T, axis=1) == np.arange(len(captions))).all()


@pytest.mark.parametrize(
    "change",
    [
        # Checkpoints saved before transformers fixed CLIP's end token say 2 (openai's do).
        {"eos_token_id": 2},
        {"hidden_act": "gelu"},
    ],
    ids=["legacy end token", "gelu"],
)
def test_config_variants_match_transformers(
    model_dir: Path, tmp_path: Path, change: dict[str, object]
) -> None:
    folder = edited_copy(model_dir, tmp_path, **change)
    tower = ClipTextTower.load(str(folder))
    assert tower is not None
    np.testing.assert_allclose(
        tower.encode_texts(TEXTS), transformers_vectors(folder, TEXTS), atol=1e-5
    )


def test_pytorch_weights_and_sharded_safetensors_load(model_dir: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    want = ClipTextTower.load(str(model_dir))
    assert want is not None
    state = load_file(model_dir / "model.safetensors")

    as_bin = tmp_path / "bin"
    shutil.copytree(model_dir, as_bin)
    (as_bin / "model.safetensors").unlink()
    torch.save(state, as_bin / "pytorch_model.bin")

    sharded = tmp_path / "sharded"
    shutil.copytree(model_dir, sharded)
    (sharded / "model.safetensors").unlink()
    keys = sorted(state)
    halves = {
        "model-00001-of-00002.safetensors": keys[::2],
        "model-00002-of-00002.safetensors": keys[1::2],
    }
    for name, part in halves.items():
        save_file({k: state[k].contiguous() for k in part}, sharded / name)
    weight_map = {k: name for name, part in halves.items() for k in part}
    (sharded / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))

    for folder in (as_bin, sharded):
        tower = ClipTextTower.load(str(folder))
        assert tower is not None, folder.name
        np.testing.assert_array_equal(tower.encode_texts(TEXTS), want.encode_texts(TEXTS))


def test_a_downloaded_hub_model_loads_from_the_cache(hub: HubServer, model_dir: Path) -> None:
    assert ClipTextTower.load(FIXTURE_REPO) is None  # not downloaded: transformers' path
    Encoder.load(FIXTURE_REPO)  # downloads it
    tower = ClipTextTower.load(FIXTURE_REPO)
    assert tower is not None and tower.name == FIXTURE_REPO
    local = ClipTextTower.load(str(model_dir))
    assert local is not None
    np.testing.assert_array_equal(tower.encode_texts(TEXTS), local.encode_texts(TEXTS))


def test_what_it_does_not_recognise_goes_back_to_transformers(
    model_dir: Path, tmp_path: Path
) -> None:
    """None, so Library loads the text tower through transformers, which works or says why."""
    cases = {
        "no head count": lambda f: _drop_text_key(f, "num_attention_heads"),
        "another activation": lambda f: _set_text_key(f, "hidden_act", "relu"),
        "another family": lambda f: _set_key(f, "model_type", "siglip"),
        "no tokenizer.json": lambda f: (f / "tokenizer.json").unlink(),
        "another tokenizer": lambda f: _edit_json(
            f / "tokenizer_config.json", tokenizer_class="BertTokenizer"
        ),
        "no weights": lambda f: (f / "model.safetensors").unlink(),
        "a missing layer": lambda f: _set_text_key(f, "num_hidden_layers", 3),
        "a broken config": lambda f: (f / "config.json").write_text("{"),
        "an older text_config_dict": lambda f: _set_key(f, "text_config_dict", {"x": 1}),
        "other tokenizer steps": lambda f: _edit_json(
            f / "tokenizer.json", normalizer={"type": "Sequence", "normalizers": []}
        ),
        "truncated weights": lambda f: (f / "model.safetensors").write_bytes(b"\0" * 100),
    }
    for name, spoil in cases.items():
        folder = tmp_path / name.replace(" ", "-")
        shutil.copytree(model_dir, folder)
        spoil(folder)
        assert ClipTextTower.load(str(folder)) is None, name
    assert ClipTextTower.load(str(tmp_path / "nowhere")) is None


@pytest.mark.slow
def test_library_text_search_falls_back_to_transformers(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    """A checkpoint with only the older tokenizer files (vocab.json + merges.txt) is one this
    module does not run; transformers does, and the search still finds red circles."""
    folder = with_older_tokenizer_files(model_dir, tmp_path / "model")
    assert ClipTextTower.load(str(folder)) is None

    with indexed_library(folder, shapes_dir, tmp_path) as library:
        hits = library.search("a photo of a red circle", 5)
        text = library.text_encoder()
        assert isinstance(text, Encoder) and text.text_only
        assert red_circles_only(h.path for h in hits)


@pytest.mark.slow
def test_the_tower_encodes_every_query_before_and_after_the_whole_model_loads(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    """The app searches before its model is loaded, and goes on with the same float32
    vectors afterwards: one encoder, one precision, whatever has loaded since."""
    with indexed_library(model_dir, shapes_dir, tmp_path) as library:
        before = library.search("a photo of a red circle", 10)
        tower = library.text_encoder()
        assert isinstance(tower, ClipTextTower)
        whole = library.encoder()
        assert library.text_encoder() is tower
        after = library.search("a photo of a red circle", 10)
        assert [h.path for h in after] == [h.path for h in before]
        assert red_circles_only(h.path for h in after[:5])
        np.testing.assert_allclose(tower.encode_texts(TEXTS), whole.encode_texts(TEXTS), atol=1e-5)


def test_a_tower_loaded_early_is_the_one_the_next_load_takes(model_dir: Path) -> None:
    """The app starts loading the tower before its window; the library then takes it."""
    load_early(str(model_dir))
    early = ClipTextTower.load(str(model_dir))
    later = ClipTextTower.load(str(model_dir))
    assert early is not None and later is not None and early is not later
    np.testing.assert_array_equal(early.encode_texts(TEXTS), later.encode_texts(TEXTS))
    load_early(str(model_dir / "nowhere"))  # nothing to load: nothing happens


def test_its_logit_scale_is_the_models_own(model_dir: Path, encoder: Encoder) -> None:
    tower = ClipTextTower.load(str(model_dir))
    assert tower is not None and encoder.logit_scale is not None
    assert tower.logit_scale == pytest.approx(encoder.logit_scale, rel=1e-6)


@pytest.mark.slow
def test_cli_search_and_similar_import_neither_torch_nor_transformers(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    """The point of the module: a cold `photofind search` or `similar` never imports torch or
    transformers (seconds of a cold start), and still ranks red circles first."""
    data = tmp_path / "data"
    index_into(data, model_dir, [shapes_dir])
    red_circle = next(p for p in sorted(shapes_dir.iterdir()) if p.name.startswith("red_circle"))
    for command in (["search", "a photo of a red circle"], ["similar", str(red_circle)]):
        hits, imported = run_cli_noting_imports(data, model_dir, [*command, "--json"])
        assert imported == {"torch": False, "transformers": False}, command
        assert red_circles_only(h["path"] for h in hits[:5]), command


def run_cli_noting_imports(
    data: Path, model_dir: Path, argv: list[str]
) -> tuple[list[dict[str, object]], dict[str, bool]]:
    """A `photofind` command in a fresh process: its JSON output, and whether torch and
    transformers were imported by the time it ended."""
    script = (
        "import json, sys\n"
        "from photofind.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps({m: m in sys.modules for m in ('torch', 'transformers')}))\n"
        "sys.exit(code)\n"
    )
    options = ["--data-dir", str(data), "--model", str(model_dir), "--device", "cpu"]
    proc = subprocess.run(
        [sys.executable, "-c", script, *options, *argv],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    hits = last_json("\n".join(lines[:-1]))
    assert isinstance(hits, list) and hits
    return hits, json.loads(lines[-1])


def _edit_json(path: Path, **values: object) -> None:
    data = json.loads(path.read_text())
    data.update(values)
    path.write_text(json.dumps(data))


def _set_key(folder: Path, key: str, value: object) -> None:
    _edit_json(folder / "config.json", **{key: value})


def _set_text_key(folder: Path, key: str, value: object) -> None:
    config = json.loads((folder / "config.json").read_text())
    config["text_config"][key] = value
    (folder / "config.json").write_text(json.dumps(config))


def _drop_text_key(folder: Path, key: str) -> None:
    config = json.loads((folder / "config.json").read_text())
    del config["text_config"][key]
    (folder / "config.json").write_text(json.dumps(config))


@contextlib.contextmanager
def indexed_library(model: Path, photos: Path, tmp_path: Path) -> Iterator[Library]:
    """A library of `photos` indexed with `model`, opened afresh (as a new process would)."""
    data = tmp_path / "data"
    index_into(data, model, [photos])
    library = Library(data, str(model))
    try:
        yield library
    finally:
        library.close()


def red_circles_only(paths: Iterable[str]) -> bool:
    return all(Path(p).name.startswith("red_circle") for p in paths)


def test_a_process_that_ends_while_the_tower_loads_early_exits_cleanly(model_dir: Path) -> None:
    """The app may be closed while its early load still builds onnxruntime's session: the
    exit waits for it, rather than tearing the runtime down under it ("terminate called",
    an abort)."""
    script = (
        "import sys, threading\n"
        "from photofind.core.model.text_tower import load_early\n"
        f"load_early({str(model_dir)!r})\n"
        "loading = [t for t in threading.enumerate() if t.name == 'photofind-text-tower']\n"
        "print(all(not t.daemon for t in loading))\n"
        "sys.exit(0)\n"
    )
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "True" and "terminate called" not in done.stderr
