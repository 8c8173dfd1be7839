"""The image tower run by ONNX Runtime on the CPU: the same vectors as torch, sooner.

On a CPU onnxruntime runs the image tower faster than torch eager, with the same vectors
(benchmarks/PROFILE.md §6, RESULTS.md). The tower is exported the first time a model indexes
on a CPU (in the background: tens of seconds, hundreds of MB on disk) and kept in a cache
folder. Every load checks the runtime against torch on a probe batch; whatever goes wrong
(onnxruntime or onnx missing, an export error, a disagreement) leaves the encoder on torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from photofind.core.atomic import write_atomically
from photofind.core.cache import cache_dir
from photofind.core.model.loading import load_checkpoint, local_folder
from photofind.core.model.preprocess import Preprocessing

log = logging.getLogger(__name__)

# Bump when the exported graph changes, so older exports in a cache are not reused.
EXPORT_VERSION = 1
# The least cosine between the runtime's and torch's features on the probe batch.
PROBE_MIN_COSINE = 0.9999
PROBE_PHOTOS = 2


class TorchModel(Protocol):
    """What an export needs of a model loaded through torch: an Encoder, or a Checkpoint."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> Any: ...

    @property
    def preprocess(self) -> Preprocessing: ...


def default_cache_dir() -> Path:
    """Where exports are kept: in core.cache's folder. One export per model serves every
    library on the machine."""
    return cache_dir() / "image-towers"


class OnnxImageTower:
    """Preprocessed photos (N, 3, H, W) float32 -> image features (N, dim), unnormalised."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._input = session.get_inputs()[0].name

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        features = self.session.run(None, {self._input: np.ascontiguousarray(pixels)})[0]
        return np.asarray(features, dtype=np.float32)


def load(encoder: TorchModel, cache_dir: Path) -> OnnxImageTower | None:
    """The encoder's image tower under onnxruntime, exported into `cache_dir` first if need
    be (waiting for it); None where that cannot be done or does not agree with torch."""
    export = start_export(encoder, cache_dir)
    if export is not None:
        export.result()
    return load_saved(encoder, cache_dir)


def load_saved(encoder: TorchModel, cache_dir: Path) -> OnnxImageTower | None:
    """The export already in `cache_dir`, checked against torch on a probe batch; None when
    there is none, or it cannot be loaded (then it is deleted, to be made again) or disagrees
    (deleted, and marked failed so it is not made again for this model and these versions)."""
    if not _runtime_installed():
        return None
    try:
        path = export_path(encoder, cache_dir)
        if not path.is_file():
            return None
        try:
            tower: OnnxImageTower | None = OnnxImageTower(_session(path))
        except Exception as exc:  # onnxruntime raises its own types
            log.info("cannot load %s: %s", path, exc)
            tower = None
        if tower is not None and _agrees(tower, encoder):
            return tower
        path.unlink(missing_ok=True)  # a damaged file (a full disk, say) is made again
        if tower is not None:  # it disagrees: another export would too
            _mark_failed(path, "the export disagreed with torch")
            log.warning("the image tower under onnxruntime disagrees with torch; using torch")
    except Exception as exc:  # whatever goes wrong here, torch still works
        log.info("image tower stays on torch: %s", exc)
    return None


def start_export(encoder: TorchModel, cache_dir: Path) -> Future[None] | None:
    """Export the image tower into `cache_dir` in the background (a child process, waited on
    by a thread); None when there is nothing to do: already exported, failed before for this
    model and these versions, too big for one ONNX file, or onnxruntime missing. A failure
    is recorded beside the export, with its reason."""
    if not _runtime_installed():
        return None
    try:
        path = export_path(encoder, cache_dir)
        if path.is_file() or _failed_marker(path).is_file() or _too_big(encoder):
            return None
    except Exception as exc:
        log.info("image tower stays on torch: %s", exc)
        return None
    from concurrent.futures import ThreadPoolExecutor

    # Not a daemon: a process that ends meanwhile waits for the export, which the next run
    # then finds ready.
    runner = ThreadPoolExecutor(1, thread_name_prefix="photofind-onnx-export")
    future = runner.submit(_export_or_mark, encoder.name, path)
    runner.shutdown(wait=False)
    return future


def export_path(encoder: TorchModel, cache_dir: Path) -> Path:
    return cache_dir / f"{_model_prefix(encoder.name)}{_key(encoder)}.onnx"


def _runtime_installed() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _model_prefix(name: str) -> str:
    return f"image-tower-{hashlib.sha256(name.encode()).hexdigest()[:8]}-"


def _failed_marker(path: Path) -> Path:
    return path.with_suffix(".failed")


def _mark_failed(path: Path, reason: str) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        _failed_marker(path).write_text(reason + "\n", encoding="utf-8")


def _export_or_mark(ref: str, path: Path) -> None:
    try:
        export_in_a_child(ref, path)
    except BaseException as exc:  # the child's death included: recorded, never raised
        log.info("exporting the image tower failed: %s", exc)
        _mark_failed(path, f"{type(exc).__name__}: {exc}")
        return
    _remove_older_exports(path)


def _remove_older_exports(path: Path) -> None:
    """Exports of the same model for other weights or versions, and temporary files that
    a killed export left over a day ago: each is hundreds of MB."""
    prefix = path.name[: path.name.index("-", len("image-tower-")) + 1]
    day_ago = time.time() - 86_400
    for other in path.parent.iterdir():
        stale = other.name.startswith(prefix) and other.name != path.name
        stale = stale and other.suffix != ".tmp"  # maybe another process exporting now
        abandoned = other.suffix == ".tmp" and other.stat().st_mtime < day_ago
        if stale or abandoned:
            with contextlib.suppress(OSError):
                other.unlink()


def _too_big(encoder: TorchModel) -> bool:
    # One ONNX file holds at most 2 GB; bigger towers would spill their weights into loose
    # files beside it. Such models (ViT-H and up) stay on torch.
    tower = getattr(encoder.model, "vision_model", encoder.model)
    return sum(p.numel() * p.element_size() for p in tower.parameters()) > 1_800_000_000


def _key(encoder: TorchModel) -> str:
    """Names an export by what decides its graph and weights: the model, its checkpoint
    files, the input size and the torch and onnxruntime versions."""
    import onnxruntime
    import torch

    config = encoder.model.config.to_dict()
    # How the folder was spelled (relative, absolute) is no part of the model.
    config.pop("_name_or_path", None)
    parts: list[object] = [
        EXPORT_VERSION,
        encoder.name,
        json.dumps(config, sort_keys=True, default=str),
        _input_size(encoder),
        torch.__version__,
        onnxruntime.__version__,
    ]
    folder = local_folder(encoder.name)
    if folder is not None:
        for file in sorted(folder.iterdir()):
            if file.suffix in (".safetensors", ".bin"):
                # A hub snapshot links each file to a blob named by its content hash.
                parts.append((file.name, os.path.realpath(file), file.stat().st_size))
                parts.append(file.stat().st_mtime_ns if not file.is_symlink() else 0)
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:20]


def _input_size(encoder: TorchModel) -> tuple[int, int]:
    prep = encoder.preprocess
    size = prep.crop or prep.resize_to
    if size is None:
        raise ValueError("the preprocessing gives no fixed input size")
    return size


def export_in_a_child(ref: str, path: Path) -> None:
    """Export in a process of its own: torch's exporter holds the GIL for up to a second at a
    time, which would freeze the app's window (the indexing thread shares its process), and
    its memory peak goes with the process. The child loads the model from disk again."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_start_child) as child:
        child.submit(_export_model, ref, str(path)).result()


def _start_child() -> None:
    # Ctrl+C in a terminal reaches the whole process group: the CLI's first one asks the run
    # to stop after its batch, which must not kill the export. It also yields the CPU to the
    # indexing it runs beside.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def _export_model(ref: str, path: str) -> None:
    _export(load_checkpoint(ref, "cpu"), Path(path))


def _export(encoder: TorchModel, path: Path) -> None:
    import torch

    height, width = _input_size(encoder)
    example = torch.zeros(1, 3, height, width)
    path.parent.mkdir(parents=True, exist_ok=True)

    def export(tmp: Path) -> None:
        with torch.no_grad(), warnings.catch_warnings(), _quiet_exporter():
            warnings.simplefilter("ignore")  # tracer notes about the checkpoint's Python code
            torch.onnx.export(
                image_tower(encoder.model).eval(),
                (example,),
                str(tmp),
                input_names=["pixels"],
                output_names=["features"],
                dynamic_axes={"pixels": {0: "photos"}, "features": {0: "photos"}},
                opset_version=17,
                dynamo=False,
            )

    write_atomically(path, export)  # a killed export leaves at most a temporary file


@contextlib.contextmanager
def _quiet_exporter() -> Any:
    # The exporter logs each step at INFO and warns about deprecations a user cannot act on.
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _session(path: Path) -> Any:
    import onnxruntime
    import torch

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    # Idle runtime threads would otherwise spin after each batch, on the cores the decode
    # workers start on as soon as the batch is encoded.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its warnings are about graph details
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _agrees(tower: OnnxImageTower, encoder: TorchModel) -> bool:
    import torch

    height, width = _input_size(encoder)
    rng = np.random.default_rng(0)
    probe = rng.standard_normal((PROBE_PHOTOS, 3, height, width)).astype(np.float32)
    ours = tower(probe)
    with torch.inference_mode():
        theirs = image_tower(encoder.model)(torch.from_numpy(probe)).float().numpy()
    cosine = (ours * theirs).sum(1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1) + 1e-12
    )
    return bool(cosine.min() >= PROBE_MIN_COSINE)


def image_tower(model: Any) -> Any:
    """The image tower as one module from pixels to features (what the export records)."""
    import torch

    class ImageTower(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: Any) -> Any:
            out = self.model.get_image_features(pixel_values=pixel_values)
            return out if isinstance(out, torch.Tensor) else out.pooler_output

    return ImageTower(model)
