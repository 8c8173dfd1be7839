"""A short, curated list of models to choose from: what each costs to download, which
languages it serves, how well it finds photos by published measure, and its architecture's
shape (a transformers config), so its speed on this machine can be measured without its
weights (core.model.speed).

Download sizes are those of each hub repo's model.safetensors, the file transformers fetches.
Retrieval quality is Immich's model table (docs/docs/features/searching.md in
immich-app/immich, at commit 01a09bb): the average of recall@1, @5 and @10 for zero-shot
image retrieval on Crossmodal-3600 (XM3600), per query language. Immich runs the same
released weights through OpenCLIP; its names for them are kept in `published_as`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

QUALITY_SOURCE = "Immich's model table: average recall@1/5/10 on Crossmodal-3600 (XM3600)"
QUALITY_URL = "https://docs.immich.app/features/searching/"


@dataclass(frozen=True)
class CatalogModel:
    hub_id: str
    name: str  # what the user reads
    family: str  # "clip", "siglip" or "siglip2" (whose fixed-size models load as SigLIP)
    download_mb: int  # model.safetensors on the hub, in MB (10**6 bytes)
    languages: str
    shape: Mapping[str, Any]  # its transformers config, less the weights
    recall_english: float | None = None  # XM3600 recall (%), None where none is published
    recall_chinese: float | None = None
    published_as: str = ""  # its name in Immich's table

    @property
    def quality(self) -> str:
        """The published retrieval quality, in words."""
        figures = [
            f"{recall:.1f} {language}"
            for recall, language in (
                (self.recall_english, "English"),
                (self.recall_chinese, "Chinese"),
            )
            if recall is not None
        ]
        return ", ".join(figures) if figures else "not published"

    @property
    def download(self) -> str:
        return (
            f"{self.download_mb / 1000:.1f} GB"
            if self.download_mb >= 1000
            else f"{self.download_mb} MB"
        )


def _clip_shape(
    image: int, patch: int, vision: tuple[int, int, int], text: tuple[int, int, int]
) -> dict[str, Any]:
    """A CLIP config: `vision` and `text` are (width, layers, heads); the MLP is 4x wide."""
    (v_width, v_layers, v_heads), (t_width, t_layers, t_heads) = vision, text
    return {
        "model_type": "clip",
        "projection_dim": t_width,
        "vision_config": {
            "image_size": image,
            "patch_size": patch,
            "hidden_size": v_width,
            "num_hidden_layers": v_layers,
            "num_attention_heads": v_heads,
            "intermediate_size": 4 * v_width,
            "hidden_act": "quick_gelu",
        },
        "text_config": {
            "vocab_size": 49408,
            "max_position_embeddings": 77,
            "hidden_size": t_width,
            "num_hidden_layers": t_layers,
            "num_attention_heads": t_heads,
            "intermediate_size": 4 * t_width,
            "hidden_act": "quick_gelu",
        },
    }


def _siglip_base_shape(image: int, vocab: int) -> dict[str, Any]:
    """A SigLIP B/16 config (SigLIP 2's fixed-resolution models share SigLIP's layout)."""
    tower = {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
    }
    return {
        "model_type": "siglip",
        "vision_config": {"image_size": image, "patch_size": 16, **tower},
        "text_config": {"vocab_size": vocab, "max_position_embeddings": 64, **tower},
    }


MODELS: tuple[CatalogModel, ...] = (
    CatalogModel(
        hub_id="openai/clip-vit-base-patch32",
        name="CLIP ViT-B/32 (OpenAI)",
        family="clip",
        download_mb=605,
        languages="English",
        shape=_clip_shape(224, 32, (768, 12, 12), (512, 12, 8)),
        recall_english=59.37,
        published_as="ViT-B-32__openai",
    ),
    CatalogModel(
        hub_id="openai/clip-vit-large-patch14",
        name="CLIP ViT-L/14 (OpenAI)",
        family="clip",
        download_mb=1710,
        languages="English",
        shape=_clip_shape(224, 14, (1024, 24, 16), (768, 12, 12)),
        recall_english=60.12,
        published_as="ViT-L-14__openai",
    ),
    CatalogModel(
        hub_id="google/siglip-base-patch16-224",
        name="SigLIP B/16 (Google)",
        family="siglip",
        download_mb=813,
        languages="English",
        shape=_siglip_base_shape(224, 32000),
        recall_english=71.64,
        published_as="ViT-B-16-SigLIP__webli",
    ),
    CatalogModel(
        hub_id="google/siglip-base-patch16-256-multilingual",
        name="SigLIP B/16 multilingual (Google)",
        family="siglip",
        download_mb=1480,
        languages="Multilingual: 100+ languages",
        shape=_siglip_base_shape(256, 250000),
        recall_english=69.38,
        recall_chinese=66.87,
        published_as="ViT-B-16-SigLIP-i18n-256__webli",
    ),
    CatalogModel(
        hub_id="google/siglip2-base-patch16-224",
        name="SigLIP 2 B/16 (Google)",
        family="siglip2",
        download_mb=1500,
        languages="Multilingual, strongest in English",
        shape=_siglip_base_shape(224, 256000),
        recall_english=75.19,
        recall_chinese=64.39,
        published_as="ViT-B-16-SigLIP2__webli",
    ),
)
