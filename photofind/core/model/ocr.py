"""Reading the text in a photo: RapidOCR's PP-OCR models on onnxruntime.

The detection and recognition models ship inside the rapidocr wheel; the engine is pointed at
those files by path, so it never looks for (or downloads) a model of its own. Photos are assumed
upright (the photos layer applies EXIF orientation), so the 180-degree classifier is not run.
Which photos are worth reading is decided beforehand from their CLIP vectors (text_gate.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photofind.core.errors import TextReadError, first_line

log = logging.getLogger(__name__)

# Longer photos are shrunk to this side first: text a person would search for stays 15 px or
# more high, and detection on a 12-megapixel photo would take several times longer.
MAX_SIDE = 1600
# It runs beside an index run, so it takes few cores.
THREADS = 2
# rapidocr's default: lines recognised with a lower confidence are dropped.
MIN_SCORE = 0.5

_DETECTION_MODEL = "PP-OCRv6_det_small.onnx"
_RECOGNITION_MODEL = "PP-OCRv6_rec_small.onnx"

Point = tuple[float, float]


@dataclass(frozen=True)
class TextLine:
    """One line of text found in a photo.

    ``box`` is its four corners (top-left, top-right, bottom-right, bottom-left) in the pixel
    coordinates of the image given to `TextReader.read`; ``score`` is the recogniser's
    confidence, 0-1.
    """

    text: str
    box: tuple[Point, Point, Point, Point]
    score: float


class TextReader:
    """Reads text lines out of photos. Its models are loaded on the first read, not before; one
    reader may be shared between threads, which then read one photo at a time."""

    def __init__(self, threads: int = THREADS, max_side: int = MAX_SIDE) -> None:
        self.threads = threads
        self.max_side = max_side
        self._engine: Any = None
        self._lock = threading.Lock()

    def read(self, image: Image.Image) -> list[TextLine]:
        """The lines of text in ``image``, top to bottom; empty when there is none.

        Raises TextReadError when the engine cannot be made or fails on this image.
        """
        rgb = image.convert("RGB")
        if not rgb.width or not rgb.height:
            return []
        scale = min(1.0, self.max_side / max(rgb.size))
        if scale < 1.0:
            size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
            rgb = rgb.resize(size, Image.Resampling.LANCZOS)
        bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
        with self._lock:
            engine = self._engine or self._make_engine()
            try:
                result = engine(bgr)
            except Exception as exc:  # onnxruntime and OpenCV raise their own types
                raise TextReadError(
                    f"could not read the text in a photo: {first_line(exc)}"
                ) from exc
        return _lines(result, 1.0 / scale)

    def _make_engine(self) -> Any:
        # Imported here: it brings OpenCV and onnxruntime, which a search never needs.
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        params = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": MIN_SCORE,
            "Det.model_path": str(models / _DETECTION_MODEL),
            "Rec.model_path": str(models / _RECOGNITION_MODEL),
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        _forward_logs()
        try:
            engine = RapidOCR(params=params)
            # Load both models now, so a missing or broken file is reported here, once.
            engine(np.full((64, 64, 3), 255, dtype=np.uint8))
        except Exception as exc:  # rapidocr raises plain ValueError, FileNotFoundError...
            raise TextReadError(f"the text reader could not start: {first_line(exc)}") from exc
        self._engine = engine
        return engine


def _lines(result: Any, scale: float) -> list[TextLine]:
    texts = getattr(result, "txts", None)
    if not texts:
        return []
    lines = []
    for text, box, score in zip(texts, result.boxes, result.scores, strict=True):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = (np.asarray(box, dtype=float) * scale).tolist()
        corners = ((x0, y0), (x1, y1), (x2, y2), (x3, y3))
        lines.append(TextLine(text=str(text), box=corners, score=float(score)))
    return lines


class _ToOurLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.handle(record)


def _forward_logs() -> None:
    """Send rapidocr's records to our log (and so the log file) instead of its coloured
    console handler, which would write to the terminal of the app or the CLI."""
    theirs = logging.getLogger("RapidOCR")
    # Its warnings include "The text detection result is empty", once per photo without text.
    theirs.setLevel(logging.ERROR)
    for handler in list(theirs.handlers):
        theirs.removeHandler(handler)
    theirs.addHandler(_ToOurLog())
