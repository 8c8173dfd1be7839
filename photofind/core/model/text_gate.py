"""Which photos likely hold text worth reading, judged from their CLIP image vectors alone.

Reading text (ocr.py) takes a second or more a photo; most photos hold none. CLIP already knows
a screenshot or a receipt when it sees one, so each stored image vector is compared with the
text tower's vectors for prompts that describe text-bearing photos and prompts that describe
ordinary ones, as zero-shot CLIP classification does: a softmax over all prompts at CLIP's logit
scale, summing the text prompts' share. A photo whose share reaches THRESHOLD is read. How far
apart the fixture's text photos and shape photos score is measured by
tests/core/model/test_text_gate.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from photofind.core.model.vectors import unit_rows

TEXT_PROMPTS: tuple[str, ...] = (
    "a screenshot",
    "a screenshot of text",
    "a receipt",
    "a document",
    "a page of text",
    "a slide",
    "a presentation slide",
    "a sign with words on it",
    "a poster with text",
    "a photo of a printed page",
    "a scanned document",
    "a whiteboard with writing",
)
OTHER_PROMPTS: tuple[str, ...] = (
    "a photo",
    "a photo of a landscape",
    "a photo of people",
    "a photo of a person",
    "a photo of an animal",
    "a photo of food",
    "a photo of a building",
    "a photo of a city street",
    "a photo of a flower",
    "a photo of a car",
    "a photo of the sky",
    "a photo of a room",
)
PROMPTS: tuple[str, ...] = TEXT_PROMPTS + OTHER_PROMPTS

# CLIP's learnt temperature (OpenAI's checkpoints all end at the 100 it is clamped to).
LOGIT_SCALE = 100.0
# The text prompts' share of the softmax from which a photo is worth reading.
THRESHOLD = 0.5

TextVectors = Callable[[Sequence[str]], np.ndarray]


class TextGate:
    """Scores image vectors for holding text. ``text_vectors`` is the model's text tower
    (unit vectors for strings, e.g. ``Encoder.encode_texts``); it is asked for PROMPTS once,
    on the first score."""

    def __init__(self, text_vectors: TextVectors) -> None:
        self._text_vectors = text_vectors
        self._prompt_vectors: np.ndarray | None = None

    def scores(self, image_vectors: np.ndarray) -> np.ndarray:
        """The text prompts' probability (0-1) for each row of ``image_vectors`` (N, D)."""
        if self._prompt_vectors is None:
            self._prompt_vectors = unit_rows(np.asarray(self._text_vectors(list(PROMPTS))))
        images = unit_rows(np.atleast_2d(np.asarray(image_vectors, dtype=np.float32)))
        logits = LOGIT_SCALE * images @ self._prompt_vectors.T
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        text = weights[:, : len(TEXT_PROMPTS)].sum(axis=1)
        # text + other, not a sum over all: rounding then never lifts a share above 1.
        return text / (text + weights[:, len(TEXT_PROMPTS) :].sum(axis=1))

    def likely(self, image_vectors: np.ndarray) -> np.ndarray:
        """Whether each row of ``image_vectors`` (N, D) likely shows text (bool, N)."""
        return self.scores(image_vectors) >= THRESHOLD
