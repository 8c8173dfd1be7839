"""A CLIP ViT-B/32 of the real shape, with seeded random weights, in Hugging Face layout.

The real checkpoint cannot be downloaded here, but `CLIPConfig()`'s defaults are exactly
openai/clip-vit-base-patch32's architecture (ViT-B/32 vision tower, 12-layer 512-wide text
tower, 512-d projection), so it has the real model's compute and load cost. Its vectors are
meaningless, which is fine for timing; nothing here measures search quality.

    python -m benchmarks.make_model [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
DEFAULT_OUT = CACHE / "clip-vit-b32-random"
# The shared/ folder that sits beside the repository checkout.
TOKENIZER_DIR = HERE.parents[1] / "shared" / "clip-tokenizer"
SEED = 20_240_004
# Bump when the saved layout changes, so a stale cache is rebuilt rather than trusted.
LAYOUT_VERSION = 1
_STAMP = "benchmark-model.json"

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]


def tokenizer_dir() -> Path:
    """Where CLIP's real vocab.json and merges.txt live (env PHOTOFIND_BENCH_TOKENIZER wins)."""
    import os

    return Path(os.environ.get("PHOTOFIND_BENCH_TOKENIZER", TOKENIZER_DIR))


def ensure_model(out: Path = DEFAULT_OUT) -> Path:
    """Build the model folder once; later calls return the cached one."""
    stamp = out / _STAMP
    if stamp.is_file() and json.loads(stamp.read_text()).get("layout") == LAYOUT_VERSION:
        return out

    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizerFast

    torch.manual_seed(SEED)
    model = CLIPModel(CLIPConfig()).eval()
    # from_pretrained on the folder, not CLIPTokenizerFast(vocab_file=...): transformers 5
    # ignores those arguments and builds an empty-vocabulary tokenizer without complaint.
    tokenizer = CLIPTokenizerFast.from_pretrained(str(tokenizer_dir()), model_max_length=77)
    processor = CLIPImageProcessor(
        size={"shortest_edge": 224},
        crop_size={"height": 224, "width": 224},
        do_center_crop=True,
        image_mean=OPENAI_MEAN,
        image_std=OPENAI_STD,
        resample=3,  # bicubic, as openai/clip-vit-base-patch32 ships
    )
    out.mkdir(parents=True, exist_ok=True)
    # float32 on disk like the hub checkpoint's default download, so load time is comparable.
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    processor.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    stamp.write_text(json.dumps({"layout": LAYOUT_VERSION, "seed": SEED, "params": params}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    print(ensure_model(args.out))


if __name__ == "__main__":
    main()
