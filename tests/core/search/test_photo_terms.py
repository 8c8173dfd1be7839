"""A photo named in a query that is not there is said at once, before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from photofind.core.errors import QueryError
from photofind.core.library import Library


def test_a_missing_photo_in_a_query_is_told_without_loading_the_whole_model(
    model_dir: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    try:
        with pytest.raises(QueryError, match="photo not found"):
            library.search(f"red circle + {tmp_path / 'no such photo.jpg'}", 10)
        # Loading torch and the image tower takes seconds; a typo must not wait for it.
        assert not library.encoder_loaded
    finally:
        library.close()
