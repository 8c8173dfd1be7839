"""The vector snapshot: one model's float16 vectors and their photo ids in a file that a
new process maps into memory instead of reading every vector from SQLite.

The file is three arrays in numpy's .npy format, one after the other: a header (layout
version, the store's revision when written), the photo ids, the matrix. Opening it reads the
three .npy headers and maps the rest, so a search at a million photos starts without reading
a gigabyte first; the pages the ranking touches come from the page cache. Any file that does
not read back as written (truncated, from another layout, damaged) is reported as missing:
the vectors are in the database, and the caller rebuilds the snapshot from there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from photofind.core.atomic import write_atomically

log = logging.getLogger(__name__)

LAYOUT = 2  # bump when the file's layout changes; older files are then rebuilt
_WRITE_ROWS = 65_536  # rows copied to the file at a time


@dataclass(frozen=True)
class Snapshot:
    revision: int
    ids: np.ndarray  # int64, mapped
    matrix: np.ndarray  # float16 (len(ids), dim), mapped


def load(path: Path) -> Snapshot | None:
    """The snapshot in `path`, mapped; None when there is none or it cannot be trusted."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as f:
            header = np.lib.format.read_array(f, allow_pickle=False)
            ids_at, (count,), _ = _skip_array(f)
            matrix_at, (rows, dim), dtype = _skip_array(f)
            size = f.seek(0, os.SEEK_END)
        if len(header) != 2 or int(header[0]) != LAYOUT:
            raise ValueError("written by another version")
        if count != rows or size != matrix_at + rows * dim * dtype.itemsize:
            raise ValueError("truncated or padded")
        ids = np.memmap(path, np.int64, "r", offset=ids_at, shape=(count,))
        matrix = np.memmap(path, np.float16, "r", offset=matrix_at, shape=(rows, dim))
    except (OSError, ValueError, EOFError) as exc:
        log.warning("vector snapshot %s cannot be used (%s); reading the database", path, exc)
        return None
    return Snapshot(int(header[1]), ids, matrix)


def save(path: Path, ids: np.ndarray, segments: Sequence[np.ndarray], revision: int) -> bool:
    """Write ids and the matrix made of `segments` (stacked) to `path`, atomically: written
    and flushed to disk under a temporary name, then renamed over the old one. Returns
    whether it was written; a failure only costs the next process a slower start."""
    dim = next((s.shape[1] for s in segments if s.ndim == 2), 0)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.lib.format.write_array(f, np.array([LAYOUT, revision], dtype=np.int64))
            np.lib.format.write_array(f, np.ascontiguousarray(ids, dtype=np.int64))
            _write_header(f, np.float16, (len(ids), dim))
            for segment in segments:
                for start in range(0, len(segment), _WRITE_ROWS):
                    chunk = segment[start : start + _WRITE_ROWS]
                    f.write(np.ascontiguousarray(chunk, dtype=np.float16).tobytes())

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, write)
    except OSError as exc:
        log.warning("vector snapshot %s not written: %s", path, exc)
        return False
    return True


def _skip_array(f: BinaryIO) -> tuple[int, tuple[int, ...], np.dtype]:
    """Read one .npy header and step over its data: (where the data starts, shape, dtype)."""
    np.lib.format.read_magic(f)
    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    if fortran:
        raise ValueError("unexpected array order")
    data_at = f.tell()
    f.seek(data_at + int(np.prod(shape)) * dtype.itemsize)
    return data_at, shape, dtype


def _write_header(f: BinaryIO, dtype: type, shape: tuple[int, int]) -> None:
    header = {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(f, header)
