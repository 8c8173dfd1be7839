"""A model reference: a Hugging Face hub id or a local folder, told apart by one rule."""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL = "openai/clip-vit-base-patch32"


def is_hub_id(ref: str) -> bool:
    """Whether `ref` names a hub model rather than a local folder: anything spelled like a
    path (absolute, or starting with `.` or `~`) or naming something on disk is local."""
    path = Path(ref).expanduser()
    return not (path.is_absolute() or ref.startswith((".", "~")) or path.exists())


def model_key(ref: str) -> str:
    """The name vectors are stored under: a hub id as given, a folder as its absolute path."""
    return ref if is_hub_id(ref) else str(Path(ref).expanduser().resolve())
