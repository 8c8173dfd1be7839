"""Child process: a cold `photofind search`, split into its phases.

    python benchmarks/_cold_search.py DATA_DIR MODEL_DIR QUERY

Prints one JSON line of seconds per phase. It does what `photofind search` does, in the same
order, with a clock between steps (the CLI itself cannot be split from outside).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    data_dir, model, query = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    import photofind.cli  # noqa: F401  - what the console script imports first

    lap("import photofind.cli")
    from photofind.core.library import Library

    lap("import core (numpy, PIL)")
    library = Library(data_dir, model, "cpu")
    lap("open library")
    library.text_encoder()
    # core.model.text_tower (onnxruntime) for CLIP checkpoints on disk, else transformers.
    how = "transformers" if "transformers" in sys.modules else "core.model.text_tower"
    lap(f"load the text tower ({how}: weights, tokenizer)")
    library.searcher.index.refresh()
    lap("load vectors (snapshot + newer rows, else SQLite)")
    hits = library.searcher.query(query, 20)
    lap("first query (tokenize, text tower, rank, paths)")
    library.close()
    assert hits, "the benchmark library should not be empty"
    print(json.dumps(phases))


if __name__ == "__main__":
    main()
