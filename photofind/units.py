"""Amounts written the way people read them, shared by the CLI and the window."""

from __future__ import annotations


def human_size(count: float) -> str:
    """Bytes as people read them: 950 kB, 5.4 MB, 605 MB, 1.71 GB."""
    if count < 1e6:
        return f"{count / 1e3:.0f} kB"
    if count < 1e7:
        return f"{count / 1e6:.1f} MB"
    if count < 1e9:
        return f"{count / 1e6:.0f} MB"
    return f"{count / 1e9:.2f} GB"
