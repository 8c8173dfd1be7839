"""The CLI with a SigLIP model (`--model <tiny-siglip>`): index, search, similar, describe
and locate, end to end, as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from composites import composite, quadrant_of
from helpers import PER_CLASS, last_json, run_cli
from shapes import CLASSES, caption


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


def _kind(path: str) -> tuple[str, str]:
    colour, shape, _ = Path(path).name.split("_")
    return colour, shape


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, siglip_dir: Path, shapes_dir: Path) -> Path:
    data = tmp_path_factory.mktemp("siglip-cli-data")
    code, out, _ = cli(data, siglip_dir, "index", str(shapes_dir), "--json")
    assert code == 0
    assert last_json(out)["encoded"] == PER_CLASS * len(CLASSES)
    return data


@pytest.mark.parametrize(("colour", "shape"), CLASSES)
def test_search_ranks_the_described_photos_first(
    indexed: Path, siglip_dir: Path, colour: str, shape: str
) -> None:
    code, out, _ = cli(
        indexed, siglip_dir, "search", caption(colour, shape), "--top", "10", "--json"
    )
    assert code == 0
    hits = last_json(out)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    precision = np.mean([_kind(h["path"]) == (colour, shape) for h in hits])
    assert precision >= 0.9, f"{caption(colour, shape)}: precision@10 {precision:.2f}"


def test_similar_ranks_photos_of_the_same_kind_first(
    indexed: Path, siglip_dir: Path, shapes_dir: Path
) -> None:
    precisions = []
    for colour, shape in CLASSES:
        query = sorted(shapes_dir.glob(f"{colour}_{shape}_*.jpg"))[0]
        code, out, _ = cli(indexed, siglip_dir, "similar", str(query), "--top", "5", "--json")
        assert code == 0
        hits = last_json(out)
        assert str(query) not in [h["path"] for h in hits]
        precisions.append(np.mean([_kind(h["path"]) == (colour, shape) for h in hits]))
    assert np.mean(precisions) >= 0.9


def test_describe_names_the_photos_kind(indexed: Path, siglip_dir: Path, shapes_dir: Path) -> None:
    lines = [f"{c} {s} = a {c} {s}" for c, s in CLASSES]
    (indexed / "tags.txt").write_text("\n".join(lines) + "\n")
    right = 0
    for colour, shape in CLASSES:
        photo = sorted(shapes_dir.glob(f"{colour}_{shape}_*.jpg"))[1]
        code, out, _ = cli(indexed, siglip_dir, "describe", str(photo), "--json")
        assert code == 0
        right += last_json(out)[0]["tag"] == f"{colour} {shape}"
    assert right >= 0.9 * len(CLASSES)


def test_where_points_at_the_described_part_of_a_photo(
    indexed: Path, siglip_dir: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "four photos.jpg"
    composite(1, seed=12).save(photo, quality=92)
    heat = tmp_path / "heat.png"
    code, out, _ = cli(
        indexed,
        siglip_dir,
        "locate",
        str(photo),
        "a photo of a red circle",
        "--out",
        str(heat),
        "--json",
    )
    assert code == 0 and heat.is_file()
    peak = last_json(out)["peak"]
    assert quadrant_of(peak["x"], peak["y"], 448, 448) == 1


def test_a_cold_search_needs_neither_torch_nor_transformers(
    indexed: Path, siglip_dir: Path
) -> None:
    """SigLIP's text tower runs on onnxruntime too (core.model.text_tower): a search in a
    fresh process starts as fast as with CLIP, and still finds red circles."""
    script = (
        "import json, sys\n"
        "from photofind.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps([m in sys.modules for m in ('torch', 'transformers')]))\n"
        "sys.exit(code)\n"
    )
    options = ["--data-dir", str(indexed), "--model", str(siglip_dir), "--device", "cpu"]
    proc = subprocess.run(
        [sys.executable, "-c", script, *options, "search", "A Red Circle", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    *output, imported = proc.stdout.strip().splitlines()
    assert json.loads(imported) == [False, False]
    hits = last_json("\n".join(output))
    assert all(_kind(h["path"]) == ("red", "circle") for h in hits[:5])
