"""CLIP's text tower in plain torch, read straight from a checkpoint's files.

A text search in a fresh process (a CLI `search`) needs only the text tower and the
tokenizer. Through transformers, importing the library alone is 3-4 s of an 8 s cold search
(benchmarks/RESULTS.md); this path needs torch, safetensors and tokenizers, and skips that
import. It serves the CLIP family only, whose text transformer is small and fixed. Anything it
does not recognise makes `ClipTextTower.load` return None, and the caller loads the model
through transformers as before. Tests hold its vectors to transformers' own.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photofind.core.encoder import model_key, resolve_device, unit_rows

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

_TOKENIZER_CLASSES = ("CLIPTokenizer", "CLIPTokenizerFast")
_ACTIVATIONS = ("quick_gelu", "gelu")
# The normalising and splitting steps of CLIP's tokenizer, as transformers builds them.
_PIPELINE = {
    "normalizer": ["NFC", "Replace", "Lowercase"],
    "pre_tokenizer": ["Split", "ByteLevel"],
}
_LAYER = re.compile(r"text_model\.encoder\.layers\.(\d+)\.")
# What the tower reads of a whole CLIP checkpoint; the image tower is never loaded.
_PREFIXES = ("text_model.", "text_projection.")


class NotAClipTextTower(Exception):
    """The checkpoint is not one this module can run: load it through transformers."""


@dataclass(frozen=True)
class _Layer:
    norm1: tuple[torch.Tensor, torch.Tensor]  # (weight, bias) of each part
    qkv: tuple[torch.Tensor, torch.Tensor]  # q, k and v projections as one: one matmul, not 3
    out: tuple[torch.Tensor, torch.Tensor]
    norm2: tuple[torch.Tensor, torch.Tensor]
    fc1: tuple[torch.Tensor, torch.Tensor]
    fc2: tuple[torch.Tensor, torch.Tensor]


class ClipTextTower:
    """Texts -> unit vectors, as CLIPModel.get_text_features computes them."""

    def __init__(
        self,
        tokenizer: Any,
        weights: dict[str, torch.Tensor],
        config: dict[str, Any],
        name: str,
        device: str,
    ) -> None:
        import torch

        self.name = name
        self.device = device
        # As Encoder: half precision on GPUs, float32 on the CPU.
        self.dtype = torch.float16 if device in ("cuda", "mps") else torch.float32
        self.tokenizer = tokenizer
        # Right padding with the end token, as transformers pads CLIP queries.
        self.pad_id = int(tokenizer.token_to_id("<|endoftext|>"))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.activation = str(config["hidden_act"])
        # Checkpoints saved before transformers fixed CLIP's end token (PR #24773) say 2 and
        # pool the highest token id, which is the end token in CLIP's vocabulary.
        self.eos = int(config["eos_token_id"])

        def get(key: str) -> torch.Tensor:
            if key not in weights:
                raise NotAClipTextTower(f"the weights have no {key}")
            return weights[key].to(device, self.dtype)

        def pair(prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
            return get(f"{prefix}.weight"), get(f"{prefix}.bias")

        self.token_embedding = get("text_model.embeddings.token_embedding.weight")
        self.position_embedding = get("text_model.embeddings.position_embedding.weight")
        self.width = int(self.token_embedding.shape[1])
        if self.width % self.heads:
            raise NotAClipTextTower(f"{self.heads} heads do not divide width {self.width}")
        count = 1 + max((int(m[1]) for k in weights if (m := _LAYER.match(k))), default=-1)
        if count != int(config.get("num_hidden_layers", count)) or not count:
            raise NotAClipTextTower(f"the weights hold {count} text layers, not as configured")
        self.layers: list[_Layer] = []
        for i in range(count):
            p = f"text_model.encoder.layers.{i}"
            q, k, v = (pair(f"{p}.self_attn.{x}_proj") for x in "qkv")
            self.layers.append(
                _Layer(
                    norm1=pair(f"{p}.layer_norm1"),
                    qkv=(torch.cat([q[0], k[0], v[0]]), torch.cat([q[1], k[1], v[1]])),
                    out=pair(f"{p}.self_attn.out_proj"),
                    norm2=pair(f"{p}.layer_norm2"),
                    fc1=pair(f"{p}.mlp.fc1"),
                    fc2=pair(f"{p}.mlp.fc2"),
                )
            )
        self.final_norm = pair("text_model.final_layer_norm")
        self.projection = get("text_projection.weight")

    @classmethod
    def load(cls, ref: str, device: str = "auto") -> ClipTextTower | None:
        """The text tower of `ref` (a local folder, or a hub id already downloaded), or None
        when this module cannot run it: then load the model through transformers."""
        folder = _folder_of(ref)
        if folder is None:
            return None
        try:
            config = _text_config(folder)
            tokenizer = _tokenizer(folder, int(config["max_position_embeddings"]))
            return cls(tokenizer, _text_weights(folder), config, model_key(ref), _device(device))
        except Exception as exc:  # safetensors, pickle and tokenizers raise their own types
            log.info("text tower of %s loads through transformers: %s", ref, exc)
            return None

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        encodings = self.tokenizer.encode_batch(list(texts))
        longest = max(len(e.ids) for e in encodings)
        # Padded on the right with the end token; the causal mask keeps padding away from
        # every position up to a text's own end token, which is the one pooled.
        ids = torch.full((len(encodings), longest), self.pad_id, dtype=torch.long)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = torch.tensor(encoding.ids)
        with torch.inference_mode():
            features = self._features(ids.to(self.device))
        return unit_rows(features.float().cpu().numpy())

    def _features(self, ids: torch.Tensor) -> torch.Tensor:
        import torch
        from torch.nn import functional as F

        rows, length = ids.shape
        x = F.embedding(ids, self.token_embedding) + self.position_embedding[:length]
        shape = (rows, length, self.heads, self.width // self.heads)
        for layer in self.layers:
            h = F.layer_norm(x, (self.width,), *layer.norm1, eps=self.eps)
            q, k, v = F.linear(h, *layer.qkv).split(self.width, dim=-1)
            q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + F.linear(a.transpose(1, 2).reshape(rows, length, self.width), *layer.out)
            h = F.layer_norm(x, (self.width,), *layer.norm2, eps=self.eps)
            h = F.linear(h, *layer.fc1)
            h = h * torch.sigmoid(1.702 * h) if self.activation == "quick_gelu" else F.gelu(h)
            x = x + F.linear(h, *layer.fc2)
        x = F.layer_norm(x, (self.width,), *self.final_norm, eps=self.eps)
        legacy = self.eos == 2
        ends = (ids if legacy else (ids == self.eos).int()).argmax(dim=-1)
        return F.linear(x[torch.arange(rows), ends], self.projection)


def _folder_of(ref: str) -> Path | None:
    from photofind.core.download import downloaded_folder, is_hub_id

    if is_hub_id(ref):
        return downloaded_folder(ref)
    path = Path(ref).expanduser()
    return path if path.is_dir() else None


def _device(preference: str) -> str:
    from photofind.core.errors import ModelLoadError

    try:
        return resolve_device(preference)
    except ModelLoadError as exc:  # transformers' path raises the same, with its message
        raise NotAClipTextTower(str(exc)) from exc


def _text_config(folder: Path) -> dict[str, Any]:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "clip" or not isinstance(config.get("text_config"), dict):
        raise NotAClipTextTower(f"model type {config.get('model_type')!r}")
    if config.get("text_config_dict"):
        # transformers builds the text settings from this older field and its own defaults.
        raise NotAClipTextTower("the config has a text_config_dict")
    text = config["text_config"]
    # No defaults are assumed: they belong to the transformers version installed.
    needed = ("num_attention_heads", "layer_norm_eps", "hidden_act", "eos_token_id")
    missing = [key for key in (*needed, "max_position_embeddings") if key not in text]
    if missing:
        raise NotAClipTextTower(f"text_config does not say {', '.join(missing)}")
    if text["hidden_act"] not in _ACTIVATIONS:
        raise NotAClipTextTower(f"activation {text['hidden_act']!r}")
    return text


def _tokenizer(folder: Path, max_positions: int) -> Any:
    from tokenizers import Tokenizer

    settings_file = folder / "tokenizer_config.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    if settings.get("tokenizer_class") not in _TOKENIZER_CLASSES:
        raise NotAClipTextTower(f"tokenizer class {settings.get('tokenizer_class')!r}")
    # transformers 5 takes only the vocabulary and merges from tokenizer.json and builds
    # CLIP's normalising and splitting steps itself; a file whose own steps differ (from an
    # old converter, say) would tokenize differently here.
    pipeline = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    steps = {
        part: [step.get("type") for step in (pipeline.get(part) or {}).get(inner, [])]
        for part, inner in (("normalizer", "normalizers"), ("pre_tokenizer", "pretokenizers"))
    }
    if (
        steps != _PIPELINE
        or (pipeline.get("post_processor") or {}).get("type") != "RobertaProcessing"
    ):
        raise NotAClipTextTower(f"tokenizer.json's steps are {steps}, not CLIP's")
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises plain Exception, missing file included
        raise NotAClipTextTower(f"tokenizer.json: {exc}") from exc
    tokenizer.no_padding()
    # Long texts are cut as transformers cuts them: to the model's context, end token kept.
    tokenizer.enable_truncation(
        min(int(settings.get("model_max_length", max_positions)), max_positions)
    )
    if tokenizer.token_to_id("<|endoftext|>") is None:
        raise NotAClipTextTower("the tokenizer has no <|endoftext|> token")
    return tokenizer


def _text_weights(folder: Path) -> dict[str, torch.Tensor]:
    """The text tower's tensors from the checkpoint's safetensors or PyTorch weights."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return _read(folder / name)
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        if (folder / index).is_file():
            weight_map = json.loads((folder / index).read_text(encoding="utf-8"))["weight_map"]
            shards = {file for key, file in weight_map.items() if key.startswith(_PREFIXES)}
            weights: dict[str, torch.Tensor] = {}
            for shard in sorted(shards):
                weights.update(_read(folder / shard))
            return weights
    raise NotAClipTextTower("no model.safetensors or pytorch_model.bin")


def _read(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as file:
            return {k: file.get_tensor(k) for k in file.keys() if k.startswith(_PREFIXES)}  # noqa: SIM118
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    return {k: v for k, v in state.items() if k.startswith(_PREFIXES)}
