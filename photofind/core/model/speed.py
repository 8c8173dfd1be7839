"""How many photos a second a model's image tower encodes on this machine, measured on the
model's shape alone (a transformers config, core.model.catalog) with random weights, so
nothing is downloaded. Speeds are remembered in the data dir per machine, device and shape.

Measuring runs in a child process: importing torch holds the caller's GIL for seconds (see
core.model.model_process), and a measurement that is no longer wanted can be ended at once.
The speed is the model's alone; decoding photos comes on top of it."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import platform
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photofind.core.atomic import write_atomically

log = logging.getLogger(__name__)

SPEEDS_FILE = "model_speeds.json"
# Batches as the index run sends them: small on a CPU, where one photo already fills the
# cores, larger on a GPU, which a small batch leaves idle.
CPU_BATCH, GPU_BATCH = 4, 32
# Batches are timed until this much time has passed (one batch at least).
MIN_SECONDS = 2.0
# The config and model classes of each model type's image tower. SigLIP 2's
# fixed-resolution models are SigLIP-shaped.
_VISION_TOWERS = {
    "clip": ("CLIPVisionConfig", "CLIPVisionModel"),
    "siglip": ("SiglipVisionConfig", "SiglipVisionModel"),
}


@dataclass(frozen=True)
class Speed:
    photos_per_second: float
    device: str  # where it was measured: "cpu", "cuda" or "mps"


def measure_speed(
    shape: Mapping[str, Any], device: str = "auto", threads: int | None = None
) -> Speed:
    """Time the image tower of `shape` in this process on `device` (resolved as the model
    would be: core.model.device), with `threads` CPU threads (torch's default when None)."""
    import torch

    from photofind.core.model.device import dtype_for, resolve_device

    dev = resolve_device(device)
    if threads:
        torch.set_num_threads(threads)
    tower = _vision_tower(shape).to(dev, dtype_for(dev)).eval()
    size = int(tower.config.image_size)
    batch = CPU_BATCH if dev == "cpu" else GPU_BATCH
    pixels = torch.rand(batch, 3, size, size, device=dev, dtype=dtype_for(dev))
    with torch.inference_mode():
        tower(pixel_values=pixels[:1])  # the first pass also sets up kernels and memory
        _synchronize(torch, dev)
        start, done = time.perf_counter(), 0
        while done == 0 or time.perf_counter() - start < MIN_SECONDS:
            tower(pixel_values=pixels)
            _synchronize(torch, dev)
            done += batch
    return Speed(done / (time.perf_counter() - start), dev)


def speeds_here(
    shapes: Sequence[Mapping[str, Any]],
    device: str,
    data_dir: Path,
    cancel: threading.Event | None = None,
) -> Iterator[tuple[int, Speed | None]]:
    """Each shape's speed on this machine and `device`, as (its index, speed) pairs as they
    become known: remembered ones first, then the rest measured one after another in a child
    process and remembered; shapes that are the same are measured once. A shape that could
    not be measured comes with None. Setting `cancel` ends the child and the iteration."""
    keys = [_key(shape, device) for shape in shapes]
    known = _read(data_dir / SPEEDS_FILE)
    missing: dict[str, list[int]] = {}  # indexes of each shape to measure, by its key
    for index, key in enumerate(keys):
        if key in known:
            yield index, known[key]
        else:
            missing.setdefault(key, []).append(index)
    if not missing:
        return
    groups = list(missing.items())
    to_measure = [shapes[indexes[0]] for _, indexes in groups]
    for position, speed in _measured_in_child(to_measure, device, cancel):
        key, indexes = groups[position]
        if speed is not None:
            _remember(data_dir / SPEEDS_FILE, key, speed)
        for index in indexes:
            yield index, speed


def _vision_tower(shape: Mapping[str, Any]) -> Any:
    """The image tower alone, with random weights: the text tower is not timed."""
    import transformers

    classes = _VISION_TOWERS.get(str(shape.get("model_type")))
    if classes is None:
        raise ValueError(f"no speed measure for model type {shape.get('model_type')!r}")
    config_class, model_class = (getattr(transformers, name) for name in classes)
    return model_class(config_class(**shape["vision_config"]))


def _synchronize(torch: Any, device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def _measured_in_child(
    shapes: list[Mapping[str, Any]], device: str, cancel: threading.Event | None
) -> Iterator[tuple[int, Speed | None]]:
    context = multiprocessing.get_context("spawn")  # never fork a process running Qt
    conn, child_conn = context.Pipe()
    # As many threads as the app's model process gets: it leaves a core to the window.
    threads = max(1, (os.cpu_count() or 2) - 1)
    process = context.Process(
        target=_measure_all,
        args=(child_conn, shapes, device, threads),
        name="photofind-speed",
        daemon=True,
    )
    process.start()
    child_conn.close()
    try:
        for _ in shapes:
            while not conn.poll(0.1):
                gone = not process.is_alive() and not conn.poll()  # its last words read first
                if gone or (cancel is not None and cancel.is_set()):
                    return
            index, speed, failure = conn.recv()
            if failure:
                log.warning("could not measure a model's speed: %s", failure)
            yield index, speed
    except EOFError:
        log.warning("the speed measurement ended early (exit code %s)", process.exitcode)
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        conn.close()


def _measure_all(conn: Any, shapes: list[Mapping[str, Any]], device: str, threads: int) -> None:
    """The child: measure each shape in turn, sending (index, speed, None) for each, or
    (index, None, why) where it could not be measured (the parent logs it)."""
    for index, shape in enumerate(shapes):
        try:
            conn.send((index, measure_speed(shape, device, threads), None))
        except Exception as exc:
            conn.send((index, None, f"{type(exc).__name__}: {exc}"))
    conn.close()


def _key(shape: Mapping[str, Any], device: str) -> str:
    """What a speed holds for: this machine, the device asked for and the model's shape."""
    machine = [platform.node(), platform.machine(), platform.processor(), os.cpu_count()]
    text = json.dumps([machine, device, shape], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _read(path: Path) -> dict[str, Speed]:
    """The remembered speeds; a file that cannot be read counts as none (and is rewritten)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["speeds"]
        return {
            key: Speed(float(entry["photos_per_second"]), str(entry["device"]))
            for key, entry in entries.items()
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("measuring model speeds again: %s could not be read (%s)", path, exc)
        return {}


def _remember(path: Path, key: str, speed: Speed) -> None:
    speeds = _read(path)
    speeds[key] = speed
    entries = {
        k: {"photos_per_second": s.photos_per_second, "device": s.device} for k, s in speeds.items()
    }
    text = json.dumps({"speeds": entries}, indent=1, sort_keys=True)

    def write(tmp: Path) -> None:
        # Private, as everything in the data dir is.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, write)
    except OSError as exc:
        log.warning("could not remember model speeds in %s: %s", path, exc)
