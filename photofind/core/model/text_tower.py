"""CLIP's and SigLIP's text tower run by ONNX Runtime, built straight from a checkpoint's files.

Searching needs only the text tower, the tokenizer and the stored vectors. This module reads
the tower's weights with safetensors, lays them into an ONNX graph of CLIP's text transformer
and hands that to onnxruntime, so a search never imports torch or transformers: together
they are most of a cold start (benchmarks/RESULTS.md), and the app answers queries while the
whole model is still loading. No export step is needed, so a model works for search as soon
as it is on disk. It serves the CLIP family, and SigLIP checkpoints with a Gemma tokenizer
(SigLIP 2's): their text transformers are the same but for SigLIP's full attention, pooling of
the last position and biased head. Anything it does not recognise makes `ClipTextTower.load`
return None, and the caller loads the model through transformers. Tests hold its vectors to
transformers' own.
"""

from __future__ import annotations

import json
import logging
import math
import re
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from photofind.core.model.loading import local_folder
from photofind.core.model.onnx_graph import GraphBuilder, cpu_session
from photofind.core.model.ref import model_key
from photofind.core.model.vectors import unit_rows

log = logging.getLogger(__name__)

_TOKENIZER_CLASSES = {
    "clip": ("CLIPTokenizer", "CLIPTokenizerFast"),
    "siglip": ("GemmaTokenizer", "GemmaTokenizerFast"),
}
_ACTIVATIONS = ("quick_gelu", "gelu", "gelu_pytorch_tanh")
# The normalising and splitting steps of each family's tokenizer, as transformers builds them.
_PIPELINES = {
    "clip": {
        "normalizer": ["NFC", "Replace", "Lowercase"],
        "pre_tokenizer": ["Split", "ByteLevel"],
    },
    "siglip": {"normalizer": ["Replace"], "pre_tokenizer": ["Split"]},
}
# The token each family's queries are padded with, on the right.
_PAD_TOKENS = {"clip": "<|endoftext|>", "siglip": "<pad>"}
_LAYER = re.compile(r"text_model\.encoder\.layers\.(\d+)\.")
# What the tower reads of a whole checkpoint; the image tower is never loaded.
_PREFIXES = ("text_model.", "text_projection.", "logit_scale", "logit_bias")


def load_early(ref: str) -> None:
    """Start loading `ref`'s text tower now; the next `ClipTextTower.load(ref)` takes it. For
    the app, before it shows its window: the tokenizer is built here, on the calling thread,
    because building it holds the GIL for over a tenth of a second (benchmarks/PROFILE.md
    §7), which a window already on screen would show as a freeze; the rest (weights,
    onnxruntime's session) needs little of the GIL and goes on a thread of its own while
    the window starts."""
    folder = local_folder(ref)
    if folder is None:
        return
    early: Future[ClipTextTower | None] = Future()
    with _early_lock:
        if folder in _early:
            return
        _early[folder] = early
    early.set_running_or_notify_cancel()
    try:
        config = _text_config(folder)
        tokenizer = _tokenizer(folder, config)
    except Exception as exc:
        log.info("text tower of %s loads through transformers: %s", ref, exc)
        early.set_result(None)
        return

    def finish() -> None:
        early.set_result(ClipTextTower._load(folder, ref, config, tokenizer))

    # Not a daemon: a process that ends while onnxruntime builds the session would tear the
    # runtime down under it and abort ("terminate called"), so the exit waits for it.
    threading.Thread(target=finish, name="photofind-text-tower").start()


_early: dict[Path, Future[ClipTextTower | None]] = {}
_early_lock = threading.Lock()


class NotAClipTextTower(Exception):
    """The checkpoint is not one this module can run: load it through transformers."""


class ClipTextTower:
    """Texts -> unit vectors, as the model's get_text_features computes them (float32)."""

    device = "cpu"

    def __init__(
        self, tokenizer: Any, weights: dict[str, np.ndarray], config: dict[str, Any], name: str
    ) -> None:
        self.name = name
        self.tokenizer = tokenizer
        # SigLIP was trained on lowercased texts padded to its full length, attending to all
        # of it and pooling the last position; CLIP's causal mask keeps padding out of the
        # end token it pools, so a batch is padded to its longest text.
        self.siglip = config["family"] == "siglip"
        self.pad_id = int(tokenizer.token_to_id(_PAD_TOKENS[config["family"]]))
        if self.siglip:
            self.projection = _get(weights, "text_model.head.weight").T.copy()
            self.head_bias = _get(weights, "text_model.head.bias")
            bias = weights.get("logit_bias")
            self.logit_bias = _scalar(bias) if bias is not None else None
        else:
            # Checkpoints saved before transformers fixed CLIP's end token (PR #24773) say 2
            # and pool the highest token id, which is the end token in CLIP's vocabulary.
            self.eos = int(config["eos_token_id"])
            self.projection = _get(weights, "text_projection.weight").T.copy()
            self.head_bias = np.zeros(self.projection.shape[1], dtype=np.float32)
            self.logit_bias = None
        scale = weights.get("logit_scale")
        self.logit_scale = float(np.exp(_scalar(scale))) if scale is not None else None
        self.token_embedding = _get(weights, "text_model.embeddings.token_embedding.weight")
        self.position_embedding = _get(weights, "text_model.embeddings.position_embedding.weight")
        self.heads = int(config["num_attention_heads"])
        self.session = _build_session(weights, config)
        self._masks: dict[int, np.ndarray] = {}

    @classmethod
    def load(cls, ref: str) -> ClipTextTower | None:
        """The text tower of `ref` (a local folder, or a hub id already downloaded), or None
        when this module cannot run it: then load the model through transformers. Takes
        the tower `load_early` started, if any."""
        folder = local_folder(ref)
        if folder is None:
            return None
        with _early_lock:
            early = _early.pop(folder, None)
        return early.result() if early is not None else cls._load(folder, ref)

    @classmethod
    def _load(
        cls,
        folder: Path,
        ref: str,
        config: dict[str, Any] | None = None,
        tokenizer: Any = None,
    ) -> ClipTextTower | None:
        try:
            config = config or _text_config(folder)
            tokenizer = tokenizer or _tokenizer(folder, config)
            return cls(tokenizer, _text_weights(folder), config, model_key(ref))
        except Exception as exc:  # onnxruntime and tokenizers raise their own types
            log.info("text tower of %s loads through transformers: %s", ref, exc)
            return None

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = [text.lower() for text in texts] if self.siglip else list(texts)
        encodings = self.tokenizer.encode_batch(texts)
        full = int(self.tokenizer.truncation["max_length"])
        longest = full if self.siglip else max(len(e.ids) for e in encodings)
        # Padded on the right; CLIP's causal mask keeps padding away from every position up
        # to a text's own end token, which is the one pooled.
        ids = np.full((len(encodings), longest), self.pad_id, dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
        texts, width = len(ids), self.token_embedding.shape[1]
        embeddings = self.token_embedding[ids] + self.position_embedding[:longest]
        hidden = self.session.run(
            None,
            {
                "embeddings": embeddings.reshape(-1, width),
                "split_heads": np.array([texts, longest, self.heads, width // self.heads]),
                "causal_mask": self._mask(longest),
            },
        )[0].reshape(texts, longest, width)
        if self.siglip:
            ends = np.full(len(ids), longest - 1)
        else:
            ends = ids.argmax(axis=1) if self.eos == 2 else (ids == self.eos).argmax(axis=1)
        pooled = hidden[np.arange(len(ids)), ends] @ self.projection + self.head_bias
        return unit_rows(pooled)

    def _mask(self, length: int) -> np.ndarray:
        if length not in self._masks:
            above = np.triu(np.ones((length, length), dtype=bool), 1) & (not self.siglip)
            self._masks[length] = np.where(above, -np.inf, 0.0).astype(np.float32)
        return self._masks[length]


def _scalar(array: np.ndarray) -> float:
    """A one-number tensor (CLIP stores it bare, SigLIP as a 1-vector) as a float."""
    return float(np.asarray(array, dtype=np.float32).reshape(-1)[0])


def _get(weights: dict[str, np.ndarray], key: str) -> np.ndarray:
    if key not in weights:
        raise NotAClipTextTower(f"the weights have no {key}")
    return np.ascontiguousarray(weights[key], dtype=np.float32)


def _build_session(weights: dict[str, np.ndarray], config: dict[str, Any]) -> Any:
    """CLIP's text transformer as an ONNX graph over the checkpoint's weights: the token and
    position embeddings of a batch, as (texts × length, width) rows -> the final layer
    norm's hidden states, row for row. Embedding, pooling and projection happen in numpy.
    Linear layers are Gemm nodes over the checkpoint's (out, in) weights as stored."""
    heads = int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    width = int(_get(weights, "text_model.final_layer_norm.weight").shape[0])
    if width % heads:
        raise NotAClipTextTower(f"{heads} heads do not divide width {width}")
    count = 1 + max((int(m[1]) for k in weights if (m := _LAYER.match(k))), default=-1)
    if count != int(config.get("num_hidden_layers", count)) or not count:
        raise NotAClipTextTower(f"the weights hold {count} text layers, not as configured")

    g = GraphBuilder()
    x = g.input("embeddings", np.float32, ["rows", width])
    split_heads = g.input("split_heads", np.int64, [4])  # (texts, length, heads, head width)
    mask = g.input("causal_mask", np.float32, ["length", "length"])
    rows = g.constant("rows", np.array([-1, width]))
    scale = g.constant("scale", np.array(1 / math.sqrt(width // heads), dtype=np.float32))

    def linear(h: str, prefix: str) -> str:
        w, b = (
            g.weight(f"{prefix}.{p}", _get(weights, f"{prefix}.{p}")) for p in ("weight", "bias")
        )
        return g.op("Gemm", h, w, b, transB=1)

    def norm(h: str, prefix: str) -> str:
        w, b = (
            g.weight(f"{prefix}.{p}", _get(weights, f"{prefix}.{p}")) for p in ("weight", "bias")
        )
        return g.op("LayerNormalization", h, w, b, axis=-1, epsilon=eps)

    for i in range(count):
        p = f"text_model.encoder.layers.{i}"
        h = norm(x, f"{p}.layer_norm1")
        q, k, v = (
            g.op("Reshape", linear(h, f"{p}.self_attn.{t}_proj"), split_heads) for t in "qkv"
        )
        scores = g.op(
            "MatMul",
            g.op("Transpose", q, perm=[0, 2, 1, 3]),
            g.op("Transpose", k, perm=[0, 2, 3, 1]),
        )
        attention = g.op("Softmax", g.op("Add", g.op("Mul", scores, scale), mask), axis=-1)
        mixed = g.op("MatMul", attention, g.op("Transpose", v, perm=[0, 2, 1, 3]))
        joined = g.op("Reshape", g.op("Transpose", mixed, perm=[0, 2, 1, 3]), rows)
        x = g.op("Add", x, linear(joined, f"{p}.self_attn.out_proj"))
        h = linear(norm(x, f"{p}.layer_norm2"), f"{p}.mlp.fc1")
        x = g.op("Add", x, linear(_activation(g, h, config["hidden_act"]), f"{p}.mlp.fc2"))
    g.output(norm(x, "text_model.final_layer_norm"))
    return cpu_session(g)


def _activation(g: GraphBuilder, h: str, kind: str) -> str:
    if kind == "quick_gelu":
        return g.op(
            "Mul", h, g.op("Sigmoid", g.op("Mul", h, g.constant("quick_gelu", np.float32(1.702))))
        )
    half = g.constant("half", np.float32(0.5))
    one = g.constant("one", np.float32(1))
    if kind == "gelu_pytorch_tanh":
        # x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x³))) / 2
        cube = g.op("Mul", g.op("Mul", h, h), g.op("Mul", h, g.constant("c", np.float32(0.044715))))
        inner = g.op(
            "Mul", g.op("Add", h, cube), g.constant("k", np.float32(math.sqrt(2 / math.pi)))
        )
        return g.op("Mul", g.op("Mul", h, half), g.op("Add", g.op("Tanh", inner), one))
    # gelu: x * (1 + erf(x / sqrt 2)) / 2, which onnxruntime fuses into one kernel.
    root2 = g.constant("root2", np.float32(math.sqrt(2)))
    return g.op("Mul", g.op("Mul", h, half), g.op("Add", g.op("Erf", g.op("Div", h, root2)), one))


def _text_config(folder: Path) -> dict[str, Any]:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    family = config.get("model_type")
    if family not in _PIPELINES or not isinstance(config.get("text_config"), dict):
        raise NotAClipTextTower(f"model type {family!r}")
    if config.get("text_config_dict"):
        # transformers builds the text settings from this older field and its own defaults.
        raise NotAClipTextTower("the config has a text_config_dict")
    text = {**config["text_config"], "family": family}
    # No defaults are assumed: they belong to the transformers version installed.
    needed = ("num_attention_heads", "layer_norm_eps", "hidden_act")
    needed += ("eos_token_id",) if family == "clip" else ()
    missing = [key for key in (*needed, "max_position_embeddings") if key not in text]
    if missing:
        raise NotAClipTextTower(f"text_config does not say {', '.join(missing)}")
    if text["hidden_act"] not in _ACTIVATIONS:
        raise NotAClipTextTower(f"activation {text['hidden_act']!r}")
    return text


def _tokenizer(folder: Path, config: dict[str, Any]) -> Any:
    from tokenizers import Tokenizer

    family, max_positions = config["family"], int(config["max_position_embeddings"])
    settings_file = folder / "tokenizer_config.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    if settings.get("tokenizer_class") not in _TOKENIZER_CLASSES[family]:
        raise NotAClipTextTower(f"tokenizer class {settings.get('tokenizer_class')!r}")
    if settings.get("add_bos_token") or settings.get("add_eos_token"):
        raise NotAClipTextTower("the tokenizer adds a start or end token of its own")
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises plain Exception, missing file included
        raise NotAClipTextTower(f"tokenizer.json: {exc}") from exc
    # transformers 5 takes only the vocabulary and merges from tokenizer.json and builds
    # the family's normalising and splitting steps itself; a file whose own steps differ
    # (from an old converter, say) would tokenize differently here.
    steps = {part: _steps(getattr(tokenizer, part), inner) for part, inner in _PARTS}
    if steps != _PIPELINES[family] or not _adds(tokenizer.post_processor, family):
        raise NotAClipTextTower(f"tokenizer.json's steps are {steps}, not {family}'s")
    tokenizer.no_padding()
    # Long texts are cut as transformers cuts them: to the model's context, end token kept.
    tokenizer.enable_truncation(
        min(int(settings.get("model_max_length", max_positions)), max_positions)
    )
    if tokenizer.token_to_id(_PAD_TOKENS[family]) is None:
        raise NotAClipTextTower(f"the tokenizer has no {_PAD_TOKENS[family]} token")
    return tokenizer


_PARTS = (("normalizer", "normalizers"), ("pre_tokenizer", "pretokenizers"))


def _steps(component: Any, inner: str) -> list[str]:
    """The kinds of a tokenizer step, or of each step in a sequence of them."""
    state = _state(component)
    return [s.get("type") for s in state.get(inner, [state] if state else [])]


def _adds(post_processor: Any, family: str) -> bool:
    """Whether the post-processor adds what transformers adds: CLIP's start and end tokens;
    nothing for a Gemma tokenizer that is not told to."""
    state = _state(post_processor)
    if family == "clip":
        return state.get("type") == "RobertaProcessing"
    return not state or (state.get("type") == "TemplateProcessing" and not state["special_tokens"])


def _state(component: Any) -> dict[str, Any]:
    """A tokenizer step's settings, as tokenizer.json holds them ({} where there is none)."""
    return json.loads(component.__getstate__()) if component is not None else {}


def _text_weights(folder: Path) -> dict[str, np.ndarray]:
    """The text tower's tensors from the checkpoint's safetensors or PyTorch weights."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return _read(folder / name)
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        if (folder / index).is_file():
            weight_map = json.loads((folder / index).read_text(encoding="utf-8"))["weight_map"]
            shards = {file for key, file in weight_map.items() if key.startswith(_PREFIXES)}
            weights: dict[str, np.ndarray] = {}
            for shard in sorted(shards):
                weights.update(_read(folder / shard))
            return weights
    raise NotAClipTextTower("no model.safetensors or pytorch_model.bin")


def _read(path: Path) -> dict[str, np.ndarray]:
    if path.suffix == ".safetensors":
        return _mapped_safetensors(path)
    # A pickled checkpoint (older models ship only these) can only be read by torch.
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    return {k: v.float().numpy() for k, v in state.items() if k.startswith(_PREFIXES)}


_SAFETENSORS_TYPES = {"F32": np.float32, "F16": np.float16}


def _mapped_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The text tower's tensors as views of the file mapped into memory. The safetensors
    package copies each tensor into memory while holding the GIL, which stalls the app's
    window for as long (benchmarks/PROFILE.md §7); a view costs nothing
    until its pages are read, by onnxruntime without the GIL or a row at a time. The file's
    layout: an 8-byte little-endian header length, a JSON header naming each tensor's
    dtype, shape and byte offsets, then the data."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    data = np.memmap(path, np.uint8, "r", offset=8 + length)
    tensors = {}
    for key, entry in header.items():
        if not key.startswith(_PREFIXES):
            continue
        dtype = _SAFETENSORS_TYPES.get(entry["dtype"])
        if dtype is None:
            raise NotAClipTextTower(f"{key} is {entry['dtype']}")
        start, end = entry["data_offsets"]
        tensors[key] = data[start:end].view(dtype).reshape(entry["shape"])
    return tensors
