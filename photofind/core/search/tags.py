"""Zero-shot tags: everyday categories given to photos from their stored vectors.

Each tag is described in words ("beach = a beach by the sea"); its vector is the mean of that
description in several prompt templates (CLIP's own recipe for zero-shot classification). Each
model family turns similarities into probabilities the way it was trained to. CLIP's come from
a softmax over the whole vocabulary at the model's own logit scale, so a tag must beat the
other tags, not just clear a fixed similarity; a `something else` entry, never given, soaks up
photos that fit none. SigLIP was trained with a sigmoid over each pair on its own, at its own
logit scale and bias, so each tag's probability stands alone. Either way a photo gets every
tag with a probability of at least `MIN_PROBABILITY` (a photo of a dog on a beach can be both
`pet` and `beach`).

Tags are computed from the stored vectors whenever they are needed (a matrix product: about a
millisecond per thousand photos), so nothing is re-encoded and an edited vocabulary applies at
once. The vocabulary lives in `tags.txt` in the data folder, written with the defaults on
first use for the user to edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofind.core.errors import QueryError

VOCABULARY_FILE = "tags.txt"
TEMPLATES = (
    "a photo of {}.",
    "a picture of {}.",
    "an image showing {}.",
    "a close-up photo of {}.",
    "a blurry photo of {}.",
)
DEFAULT_TAGS: dict[str, str] = {
    "screenshot": "a screenshot of a computer or phone screen",
    "document": "a document or a page of text",
    "receipt": "a shop receipt",
    "food": "food on a plate",
    "pet": "a pet dog or cat",
    "people": "people",
    "portrait": "a portrait of a person",
    "landscape": "a landscape",
    "mountains": "mountains",
    "city": "a city street with buildings",
    "night": "a scene at night",
    "beach": "a beach by the sea",
    "snow": "snow",
    "sunset": "a sunset",
    "flowers": "flowers",
    "car": "a car",
    "party": "a party or celebration",
    "sports": "people playing sports",
    "art": "a painting or drawing",
}
# Competes for probability but is never given: photos that fit no tag go here.
ELSEWHERE = "a photo of something"
MIN_PROBABILITY = 0.2
# CLIP's trained logit scale (its maximum); used when the model does not carry its own.
DEFAULT_LOGIT_SCALE = 100.0

_TAG_NAME = re.compile(r"^[\w][\w \-&']*$")


@dataclass(frozen=True)
class TagScore:
    tag: str
    probability: float


def vocabulary_path(data_dir: Path) -> Path:
    return data_dir / VOCABULARY_FILE


def load_vocabulary(data_dir: Path) -> dict[str, str]:
    """The library's tags (name -> description), from tags.txt; written with the defaults
    when it does not exist yet, so there is a file to edit. Raises QueryError naming the line
    of a malformed entry."""
    path = vocabulary_path(data_dir)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(_default_file(), encoding="utf-8")
    return parse_vocabulary(path.read_text(encoding="utf-8"), str(path))


def parse_vocabulary(text: str, where: str = VOCABULARY_FILE) -> dict[str, str]:
    """Lines `name = description` (or just `name`, described by itself); `#` starts a comment."""
    tags: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, description = (part.strip() for part in line.partition("="))
        if not _TAG_NAME.match(name):
            raise QueryError(f"{where}, line {number}: {name!r} is not a tag name")
        tags[name] = description or name
    if not tags:
        raise QueryError(f"{where} holds no tags")
    return tags


def _default_file() -> str:
    lines = [
        "# photofind's tags: one per line, `name = what it looks like`. Edit freely: tags",
        "# come from the photos' stored vectors, so a change applies at once.",
        "",
    ]
    width = max(len(name) for name in DEFAULT_TAGS)
    lines += [f"{name:<{width}} = {text}" for name, text in DEFAULT_TAGS.items()]
    return "\n".join(lines) + "\n"


class Tagger:
    """Tags for vectors of one model. `encode_texts` is the model's text encoder."""

    def __init__(
        self,
        vocabulary: dict[str, str],
        encode_texts: Callable[[list[str]], np.ndarray],
        logit_scale: float | None = None,
        logit_bias: float | None = None,
    ) -> None:
        """`logit_bias`: the model's trained bias where it is scored by a sigmoid (SigLIP);
        None for CLIP's softmax."""
        self.names = list(vocabulary)
        descriptions = [*vocabulary.values(), ELSEWHERE]
        prompts = [t.format(d) for d in descriptions for t in TEMPLATES]
        vectors = encode_texts(prompts).reshape(len(descriptions), len(TEMPLATES), -1)
        means = vectors.mean(axis=1)
        self.matrix = (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)
        self.logit_scale = logit_scale or DEFAULT_LOGIT_SCALE
        self.logit_bias = logit_bias

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(N, tags) probabilities of each tag for each photo vector (the `something else`
        column dropped; under a softmax, rows sum to at most 1)."""
        logits = self.logit_scale * (np.asarray(vectors, dtype=np.float32) @ self.matrix.T)
        if self.logit_bias is not None:
            return (1.0 / (1.0 + np.exp(-(logits[:, :-1] + self.logit_bias)))).astype(np.float32)
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return (odds / odds.sum(axis=1, keepdims=True))[:, :-1]

    def tags_of(self, vectors: np.ndarray) -> list[list[str]]:
        """Each photo's tags, most likely first."""
        probs = self.probabilities(vectors)
        out = []
        for row in probs:
            order = np.argsort(-row)
            out.append([self.names[i] for i in order if row[i] >= MIN_PROBABILITY])
        return out

    def describe(self, vector: np.ndarray, top: int = 5) -> list[TagScore]:
        """The best-matching tags for one photo, with their probabilities."""
        row = self.probabilities(vector[None, :])[0]
        order = np.argsort(-row)[:top]
        return [TagScore(self.names[i], float(row[i])) for i in order]

    def mask(self, vectors: np.ndarray, tag: str) -> np.ndarray:
        """Which photos carry `tag`."""
        if tag not in self.names:
            known = ", ".join(self.names)
            raise QueryError(f"no tag {tag!r}; the tags are: {known}")
        column = self.names.index(tag)
        return self.probabilities(vectors)[:, column] >= MIN_PROBABILITY


def counts(tags_per_photo: Sequence[Sequence[str]], names: Sequence[str]) -> dict[str, int]:
    tally = dict.fromkeys(names, 0)
    for tags in tags_per_photo:
        for tag in tags:
            tally[tag] += 1
    return tally
