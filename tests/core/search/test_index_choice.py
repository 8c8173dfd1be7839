"""Choosing the approximate index: built when indexing ends, never by a query, and it finds
what exact ranking finds."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import pytest
from helpers import PER_CLASS, run_cli

from photofind.core.library import Library

pytestmark = pytest.mark.skipif(
    find_spec("usearch") is None,
    reason="usearch is not installed: the approximate index is the optional extra "
    "photofind[ann] (pip install 'photofind[ann]'; the dev extra includes it)",
)


def _red_circles(names: list[str]) -> int:
    return sum(Path(n).name.startswith("red_circle") for n in names)


@pytest.mark.slow
def test_a_query_never_builds_the_graph_indexing_does(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    exact = Library(data, str(model_dir), "cpu")
    exact.add_folders([str(shapes_dir)])
    list(exact.index())
    exact.close()

    library = Library(data, str(model_dir), "cpu", index="approximate")
    graph = library.searcher.approximate
    assert graph is not None and not graph.is_saved()
    # What the exact scan ranks first for the query, in this process (whose query vectors
    # come from core.model.text_tower until the whole model is loaded).
    vector, _ = library.searcher.query_vector("a photo of a red circle")
    top = library.searcher.index.top(vector, PER_CLASS)
    expected = [library.store.paths([pid for pid, _ in top])[pid] for pid, _ in top]
    assert _red_circles(expected) == PER_CLASS
    # No graph yet: the query is answered by scanning, and builds nothing.
    hits = library.searcher.query("a photo of a red circle", PER_CLASS)
    assert [h.path for h in hits] == expected
    assert not graph.is_saved()

    phases = []
    for progress in library.index():
        phases.append(progress.phase)
        if progress.phase == "graph":
            # Between chunks of the build, queries are answered by the exact scan.
            assert not graph.can_answer_now()
            hits = library.searcher.query("a photo of a red circle", PER_CLASS)
            assert [h.path for h in hits] == expected
    assert phases[-2:] == ["graph", "done"]
    assert graph.is_saved() and graph.can_answer_now()
    hits = library.searcher.query("a photo of a red circle", PER_CLASS)
    assert _red_circles([h.path for h in hits]) >= 0.9 * PER_CLASS
    assert library.status()["index"] == "approximate"

    # Nothing changed: the next run has no graph step, and the saved graph is reused.
    assert [p.phase for p in library.index()][-1] == "done"
    assert "graph" not in [p.phase for p in library.index()]
    library.close()


def test_cli_index_option_and_environment(
    model_dir: Path, shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    common = ["--data-dir", str(tmp_path / "data"), "--model", str(model_dir), "--device", "cpu"]
    code, _, err = run_cli(*common, "--index", "approximate", "index", str(shapes_dir))
    assert code == 0, err
    assert list((tmp_path / "data" / "approximate-index").glob("*.ann.json"))
    monkeypatch.setenv("PHOTOFIND_INDEX", "approximate")
    code, out, err = run_cli(*common, "search", "a photo of a red circle", "--json")
    assert code == 0, err
    assert _red_circles([h["path"] for h in json.loads(out)][:PER_CLASS]) >= 0.9 * PER_CLASS
    code, out, _ = run_cli(*common, "status", "--json")
    assert json.loads(out)["index"] == "approximate"

    code, _, err = run_cli(*common, "--index", "fuzzy", "status")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--index must be one of exact, approximate, not 'fuzzy'" in lines[0]
