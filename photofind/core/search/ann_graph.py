"""The HNSW graph behind the approximate index: its settings, and making one with the optional
`usearch` package (`pip install 'photofind[ann]'`), which is imported only here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from photofind.core.errors import OptionalDependencyError

INSTALL_HINT = "pip install 'photofind[ann]'"


def load_usearch() -> Any:
    """usearch's index module; OptionalDependencyError, naming the install command, when the
    package is missing."""
    try:
        import usearch.index
    except ImportError as exc:
        raise OptionalDependencyError(
            f"the approximate index needs the usearch package: {INSTALL_HINT}"
        ) from exc
    return usearch.index


@dataclass(frozen=True)
class AnnSettings:
    """The graph's parameters. `dtype` is how vectors are held in it: "f16" (1 KB a photo at
    512 dimensions, as VectorIndex) or "i8" (half that). `connectivity` is HNSW's M (links
    per node, fixed at build); `expansion_add` and `expansion_search` are its efConstruction
    and ef: search breadth, the recall/latency dial (measured in benchmarks/ANN.md). `threads`
    builds with that many threads (0: every core)."""

    # The defaults reach 0.99 top-10 recall on similar-photo queries at a million photos,
    # which a smaller M does not at any ef (benchmarks/ANN.md).
    dtype: str = "f16"
    connectivity: int = 32
    expansion_add: int = 128
    expansion_search: int = 1024
    threads: int = 0

    @property
    def metric(self) -> str:
        # usearch quantises to int8 for the cosine metric; on unit vectors it is the dot
        # product.
        return "cos" if self.dtype == "i8" else "ip"


def new_graph(usearch: Any, settings: AnnSettings, dim: int) -> Any:
    """An empty graph for vectors of `dim` dimensions."""
    return usearch.Index(
        ndim=dim,
        metric=settings.metric,
        dtype=settings.dtype,
        connectivity=settings.connectivity,
        expansion_add=settings.expansion_add,
        expansion_search=settings.expansion_search,
    )
