"""Which device the model runs on, and in which precision."""

from __future__ import annotations

from typing import TYPE_CHECKING

from photofind.core.errors import ModelLoadError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(preference: str = "auto") -> str:
    """The device `preference` names ("auto": the best one present); ModelLoadError when it
    is unknown or not available here."""
    import torch

    if preference not in DEVICES:
        raise ModelLoadError(f"unknown device {preference!r}; use one of {', '.join(DEVICES)}")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda was asked for, but no CUDA GPU is available")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise ModelLoadError("--device mps was asked for, but Apple's MPS is not available")
    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def dtype_for(device: str) -> torch.dtype:
    """Half precision is fast and accurate enough for CLIP on GPUs; CPUs run float32."""
    import torch

    return torch.float16 if device in ("cuda", "mps") else torch.float32
