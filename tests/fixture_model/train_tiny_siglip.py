"""Train the tiny SigLIP test fixture from scratch on synthetic photos.

    python tests/fixture_model/train_tiny_siglip.py [--out DIR] [--steps N]

The result is a genuine (if tiny) Hugging Face SigLIP checkpoint laid out like the SigLIP 2
fixed-resolution ones (google/siglip2-base-patch16-224): a `SiglipModel` with a Gemma-style
BPE tokenizer (tokenizer.json, `GemmaTokenizer`), and a `SiglipImageProcessor` that squashes a
photo to a square without cropping. It is trained with SigLIP's sigmoid loss on the tiny CLIP
fixture's photos and captions (train_tiny_clip: shapes, receipts, screenshots, slides), so "a
photo of a red circle" really retrieves the red circles. The tokenizer is built here from
the training captions and about a hundred everyday words, so nothing is downloaded. The script
evaluates the saved checkpoint and exits non-zero if retrieval is not good enough for the
tests that rely on it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import (
    GemmaTokenizer,
    SiglipConfig,
    SiglipImageProcessor,
    SiglipModel,
    SiglipTextConfig,
    SiglipVisionConfig,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from shapes import CLASSES, generate_folder  # noqa: E402
from texts import TEXT_KINDS, generate_text_folder  # noqa: E402
from train_tiny_clip import (  # noqa: E402
    CAPTIONS,
    CLASS_COUNT,
    EVAL_PER_CLASS,
    EVAL_SEED_JPEG,
    EVAL_SEED_MEMORY,
    MAX_DIR_BYTES,
    MIN_NEIGHBOUR_AGREEMENT,
    MIN_PRECISION_AT_20,
    POOL_PER_CLASS,
    TEXT_POOL_PER_CLASS,
    TRAIN_SEED,
    class_photo,
    jitter,
    jpeg_roundtrip,
    retrieval_scores,
)

DEFAULT_OUT = HERE / "tiny-siglip"
IMAGE_SIZE = 64
TEXT_LENGTH = 64  # SigLIP's: every text is padded to it, and the last position is pooled
SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>", "<mask>")  # Gemma's ids 0-4
# Words beyond the captions, so everyday queries tokenize into real pieces (they stay
# untrained: only the caption words mean anything to this model).
EVERYDAY_WORDS = (
    "the of and to in is it that for on with as at by from this an be or are photo picture image "
    "showing close-up blurry dog cat pet beach sea sunset snow mountains city street night food "
    "plate people person portrait landscape flowers car party sports painting drawing receipt "
    "screen screenshot document page text computer phone shop slide presentation something "
    "orange purple pink black white brown grey gray rectangle star heart oval line big small"
)


def build_tokenizer() -> GemmaTokenizer:
    """A small Gemma-style BPE (byte fallback, spaces as "▁"), trained on the captions."""
    corpus = [text.lower() for captions in CAPTIONS for text in captions]
    corpus += EVERYDAY_WORDS.split()
    bpe = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    bpe.normalizer = normalizers.Replace(" ", "▁")
    # Merges stay inside words, so they apply the same to a whole text, as Gemma's runs them.
    bpe.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=list(SPECIAL_TOKENS))
    bpe.train_from_iterator(corpus, trainer)
    learned = sorted(bpe.get_vocab().items(), key=lambda item: item[1])
    tokens = [*SPECIAL_TOKENS, *(f"<0x{b:02X}>" for b in range(256))]
    tokens += [t for t, _ in learned if t not in tokens]
    merges = json.loads(bpe.to_str())["model"]["merges"]
    tokenizer = GemmaTokenizer(
        vocab={t: i for i, t in enumerate(tokens)},
        merges=[tuple(m) for m in merges],
        model_max_length=TEXT_LENGTH,
        padding_side="right",
    )
    return tokenizer


def build_model(vocab_size: int) -> SiglipModel:
    text = SiglipTextConfig(
        vocab_size=vocab_size,
        max_position_embeddings=TEXT_LENGTH,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        projection_size=96,
        pad_token_id=0,
        bos_token_id=2,
        eos_token_id=1,
    )
    vision = SiglipVisionConfig(
        image_size=IMAGE_SIZE,
        patch_size=8,
        hidden_size=96,
        intermediate_size=192,
        num_hidden_layers=3,
        num_attention_heads=4,
    )
    model = SiglipModel(SiglipConfig(text_config=text.to_dict(), vision_config=vision.to_dict()))
    with torch.no_grad():  # SigLIP's own starting point: t = 10, b = -10
        model.logit_scale.fill_(math.log(10.0))
        model.logit_bias.fill_(-10.0)
    return model


def build_image_processor() -> SiglipImageProcessor:
    return SiglipImageProcessor(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )


def class_pixels(class_index: int) -> torch.Tensor:
    """SigLIP-preprocessed pixels of the CLIP fixture's training photos of one class (the same
    photos, squashed to a square instead of cropped), half through JPEG."""
    per_class = POOL_PER_CLASS if class_index < len(CLASSES) else TEXT_POOL_PER_CLASS
    rng = np.random.default_rng([TRAIN_SEED, class_index])
    photos = []
    for _ in range(per_class):
        photo = class_photo(class_index, rng)
        if rng.uniform() < 0.5:
            photo = jpeg_roundtrip(photo, int(rng.integers(60, 96)))
        photos.append(photo)
    return build_image_processor()(images=photos, return_tensors="pt")["pixel_values"]


def training_pool() -> tuple[torch.Tensor, torch.Tensor]:
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        pixels = list(pool.map(class_pixels, range(CLASS_COUNT)))
    labels = [torch.full((len(p),), c, dtype=torch.long) for c, p in enumerate(pixels)]
    return torch.cat(pixels), torch.cat(labels)


def eval_photos() -> list[tuple[str, list[Image.Image], torch.Tensor]]:
    """Unseen photos, EVAL_PER_CLASS per class: made in memory, and written as JPEG files."""
    labels = torch.tensor([c for c in range(CLASS_COUNT) for _ in range(EVAL_PER_CLASS)])
    in_memory = [
        class_photo(c, np.random.default_rng([EVAL_SEED_MEMORY, c, i]))
        for c in range(CLASS_COUNT)
        for i in range(EVAL_PER_CLASS)
    ]
    with tempfile.TemporaryDirectory() as folder:
        shapes = generate_folder(Path(folder), EVAL_PER_CLASS, seed=EVAL_SEED_JPEG)
        texts = generate_text_folder(Path(folder), EVAL_PER_CLASS, seed=EVAL_SEED_JPEG)
        from_jpeg = [Image.open(path).convert("RGB") for path in [*shapes, *texts]]
    jpeg_labels = torch.tensor(
        [CLASSES.index(label) for label in shapes.values()]
        + [len(CLASSES) + TEXT_KINDS.index(path.stem.split("_")[0]) for path in texts]
    )
    return [("in-memory photos", in_memory, labels), ("JPEG files", from_jpeg, jpeg_labels)]


def tokenize(tokenizer: GemmaTokenizer, texts: list[str]) -> torch.Tensor:
    """input_ids as photofind feeds SigLIP: lowercased, padded to the full length, no mask."""
    return tokenizer(
        [t.lower() for t in texts],
        padding="max_length",
        max_length=TEXT_LENGTH,
        truncation=True,
        return_tensors="pt",
    )["input_ids"]


def sigmoid_loss(
    image_embeds: torch.Tensor,
    text_embeds: torch.Tensor,
    labels: torch.Tensor,
    model: SiglipModel,
) -> torch.Tensor:
    # Every same-class pair is a positive: a batch holds many photos of each of 12 classes.
    logits = F.normalize(image_embeds, dim=-1) @ F.normalize(text_embeds, dim=-1).T
    logits = logits * model.logit_scale.exp() + model.logit_bias
    signs = (labels[:, None] == labels[None, :]).float() * 2.0 - 1.0
    return -F.logsigmoid(signs * logits).sum() / len(labels)


def train(
    model: SiglipModel,
    pixels: torch.Tensor,
    labels: torch.Tensor,
    caption_ids: torch.Tensor,
    steps: int,
    per_class_in_batch: int = 6,
    learning_rate: float = 2e-3,
) -> None:
    generator = torch.Generator().manual_seed(TRAIN_SEED)
    by_class = [torch.nonzero(labels == c).squeeze(1) for c in range(CLASS_COUNT)]
    # The scale and bias start where SigLIP's recipe puts them, for batches of thousands; a
    # batch of 90 needs them to move further in few steps, so they learn ten times as fast.
    scalars = [model.logit_scale, model.logit_bias]
    towers = [p for p in model.parameters() if all(p is not s for s in scalars)]
    optimizer = torch.optim.AdamW(
        [{"params": towers}, {"params": scalars, "lr": learning_rate * 10}],
        lr=learning_rate,
        weight_decay=0.0,
    )
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1.0 + math.cos(math.pi * step / steps)),
    )
    model.train()
    for step in range(steps):
        picks = torch.cat(
            [
                members[torch.randint(len(members), (per_class_in_batch,), generator=generator)]
                for members in by_class
            ]
        )
        batch_labels = labels[picks]
        template = torch.randint(caption_ids.shape[1], (len(picks),), generator=generator)
        images = model.get_image_features(pixel_values=jitter(pixels[picks], generator))
        texts = model.get_text_features(input_ids=caption_ids[batch_labels, template])
        loss = sigmoid_loss(images.pooler_output, texts.pooler_output, batch_labels, model)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == steps - 1:
            scale, bias = model.logit_scale.exp().item(), model.logit_bias.item()
            print(f"step {step:5d}  loss {loss.item():.4f}  scale {scale:.1f}  bias {bias:.1f}")


def save(model: SiglipModel, tokenizer: GemmaTokenizer, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    tokenizer.save_pretrained(out)
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"), pretty=False)
    build_image_processor().save_pretrained(out)


@torch.no_grad()
def evaluate(out: Path) -> bool:
    """Reload the saved checkpoint in float32, as the app does, and check it on unseen photos,
    in memory and as JPEG files, with the CLIP fixture's measures."""
    model = SiglipModel.from_pretrained(out, dtype=torch.float32).eval()
    processor = SiglipImageProcessor.from_pretrained(out)
    tokenizer = GemmaTokenizer.from_pretrained(out)
    queries = tokenize(tokenizer, [captions[0] for captions in CAPTIONS])
    texts = F.normalize(model.get_text_features(input_ids=queries).pooler_output, dim=-1)

    passed = True
    for name, photos, labels in eval_photos():
        pixels = processor(images=photos, return_tensors="pt")["pixel_values"]
        images = F.normalize(model.get_image_features(pixel_values=pixels).pooler_output, dim=-1)
        precision, agreement = retrieval_scores(images, texts, labels)
        mean_agreement = float(np.mean(agreement))
        print(f"\n{name}: {len(photos)} photos; P@{EVAL_PER_CLASS} per class {precision}")
        print(f"  min P@{EVAL_PER_CLASS} {min(precision):.2f}, mean agreement {mean_agreement:.3f}")
        passed &= (
            min(precision) >= MIN_PRECISION_AT_20 and mean_agreement >= MIN_NEIGHBOUR_AGREEMENT
        )
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="checkpoint to write")
    parser.add_argument("--steps", type=int, default=1500, help="optimizer steps")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(TRAIN_SEED)
    torch.use_deterministic_algorithms(True)

    started = time.monotonic()
    tokenizer = build_tokenizer()
    pixels, labels = training_pool()
    texts = [text for captions in CAPTIONS for text in captions]
    caption_ids = tokenize(tokenizer, texts).view(CLASS_COUNT, len(CAPTIONS[0]), -1)
    print(f"generated {len(labels)} training photos in {time.monotonic() - started:.0f} s")

    model = build_model(len(tokenizer))
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    train(model, pixels, labels, caption_ids, args.steps)
    save(model, tokenizer, args.out)
    print(f"trained and saved in {time.monotonic() - started:.0f} s")

    size = sum(path.stat().st_size for path in args.out.iterdir())
    print(f"{args.out}: {size / 1e6:.2f} MB")
    passed = evaluate(args.out) and size <= MAX_DIR_BYTES
    print(f"\n{'PASS' if passed else 'FAIL'} after {time.monotonic() - started:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
