"""Train the tiny CLIP test fixture from scratch on synthetic coloured-shape and text photos.

    python tests/fixture_model/train_tiny_clip.py [--out DIR] [--steps N] [--tokenizer DIR]

The result is a genuine (if tiny) Hugging Face CLIP checkpoint: the app loads it exactly like
openai/clip-vit-base-patch32, and text queries such as "a photo of a red circle" really retrieve
the matching photos from tests/shapes.py, and "a receipt", "a screenshot" or "a slide" the text
photos of tests/texts.py; photofind's text gate tells the text photos from the shape photos.  The
script evaluates the saved checkpoint at the end and exits non-zero if retrieval or the gate is not
good enough for the tests that rely on them.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPTextConfig,
    CLIPTokenizerFast,
    CLIPVisionConfig,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from shapes import CLASSES, TEMPLATES, caption, generate_folder, make_photo  # noqa: E402
from texts import TEXT_KINDS, TEXT_TEMPLATES, generate_text_folder, make_text_photo  # noqa: E402

from photofind.core.model.text_gate import (  # noqa: E402
    OTHER_PROMPTS,
    TEXT_PROMPTS,
    THRESHOLD,
    TextGate,
)

# Every class's training captions, the canonical query first: the 12 shape classes, then the
# text kinds.  A class index below len(CLASSES) is a shape class.
CAPTIONS: list[tuple[str, ...]] = [
    tuple(caption(colour, shape, template) for template in TEMPLATES) for colour, shape in CLASSES
] + [TEXT_TEMPLATES[kind] for kind in TEXT_KINDS]
CLASS_COUNT = len(CAPTIONS)


def described_classes(prompt: str) -> list[int]:
    """The classes one of the text gate's prompts describes: those it is a caption of, else its
    whole group (every shape class, this model's only photos without text, or every text class)."""
    if named := [c for c, captions in enumerate(CAPTIONS) if prompt in captions]:
        return named
    if prompt in OTHER_PROMPTS:
        return list(range(len(CLASSES)))
    return list(range(len(CLASSES), CLASS_COUNT))


# The text gate's prompts (photofind/core/model/text_gate.py) with the classes each describes:
# trained as the gate uses them, one softmax over all of them, so the gate can be tested here.
GROUP_CAPTIONS: list[tuple[str, list[int]]] = [
    (prompt, described_classes(prompt)) for prompt in (*TEXT_PROMPTS, *OTHER_PROMPTS)
]
# Weight of the gate prompts' loss beside the class captions' one.
GROUP_WEIGHT = 1.0

DEFAULT_OUT = HERE / "tiny-clip"
DEFAULT_TOKENIZER = Path(__file__).resolve().parents[3] / "shared" / "clip-tokenizer"

IMAGE_SIZE = 64
PROJECTION_DIM = 32
# Deliberately not OpenAI's statistics, so a test can tell whether the app reads the checkpoint's
# preprocessor config instead of hard-coding CLIP's usual values.
IMAGE_MEAN = [0.5, 0.5, 0.5]
IMAGE_STD = [0.5, 0.5, 0.5]

# Disjoint seed namespaces: the training pool never contains a photo that generate_folder() makes.
TRAIN_SEED = 20_240_612
EVAL_SEED_MEMORY = 9_001
EVAL_SEED_JPEG = 9_002
EVAL_PER_CLASS = 20
# Held-out errors came from too few distinct training photos, not from too few steps.
POOL_PER_CLASS = 1500
# Text photos differ from each other far less at 64 px than shapes do, and cost more to draw.
TEXT_POOL_PER_CLASS = 600

MIN_PRECISION_AT_20 = 0.95
MIN_NEIGHBOUR_AGREEMENT = 0.9
MAX_DIR_BYTES = 6 * 1024 * 1024


def build_model() -> CLIPModel:
    text = CLIPTextConfig(
        vocab_size=49408,
        max_position_embeddings=77,
        # The 49408-row token embedding dominates the checkpoint size: keep the text width small.
        hidden_size=32,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        pad_token_id=49407,
        projection_dim=PROJECTION_DIM,
    )
    vision = CLIPVisionConfig(
        image_size=IMAGE_SIZE,
        patch_size=8,
        hidden_size=96,
        intermediate_size=192,
        num_hidden_layers=3,
        num_attention_heads=4,
        projection_dim=PROJECTION_DIM,
    )
    config = CLIPConfig(
        text_config=text.to_dict(),
        vision_config=vision.to_dict(),
        projection_dim=PROJECTION_DIM,
    )
    return CLIPModel(config)


def build_image_processor() -> CLIPImageProcessor:
    return CLIPImageProcessor(
        size={"shortest_edge": IMAGE_SIZE},
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=IMAGE_MEAN,
        image_std=IMAGE_STD,
    )


def jpeg_roundtrip(photo: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def class_photo(class_index: int, rng: np.random.Generator) -> Image.Image:
    """A random photo of class ``class_index`` (an index into CAPTIONS)."""
    if class_index < len(CLASSES):
        return make_photo(*CLASSES[class_index], rng)
    return make_text_photo(TEXT_KINDS[class_index - len(CLASSES)], rng)[0]


def class_pixels(class_index: int) -> torch.Tensor:
    """Preprocessed pixels (N, 3, 64, 64) of fresh training photos of one class.

    Half the photos go through JPEG first, since the app indexes JPEG files.
    """
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
    """Preprocessed pixels and class ids (N,) of the training photos of every class."""
    # Each class has its own random stream, so the pool is identical however the work is split.
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        pixels = list(pool.map(class_pixels, range(CLASS_COUNT)))
    labels = [torch.full((len(p),), c, dtype=torch.long) for c, p in enumerate(pixels)]
    return torch.cat(pixels), torch.cat(labels)


@dataclass(frozen=True)
class Captions:
    """Every training caption tokenized to one length: the classes' and the groups'."""

    ids: torch.Tensor  # (classes, templates, length)
    mask: torch.Tensor
    group_ids: torch.Tensor  # (groups, length)
    group_mask: torch.Tensor
    members: torch.Tensor  # (groups, classes): 1.0 where the group caption describes the class


def tokenize_captions(tokenizer: CLIPTokenizerFast) -> Captions:
    texts = [text for captions in CAPTIONS for text in captions]
    batch = tokenizer(texts + [c for c, _ in GROUP_CAPTIONS], padding=True, return_tensors="pt")
    ids, mask, count = batch["input_ids"], batch["attention_mask"], len(texts)
    shape = (CLASS_COUNT, len(TEMPLATES), -1)
    members = torch.zeros(len(GROUP_CAPTIONS), CLASS_COUNT)
    for group, (_, classes) in enumerate(GROUP_CAPTIONS):
        members[group, classes] = 1.0
    return Captions(
        ids[:count].view(shape), mask[:count].view(shape), ids[count:], mask[count:], members
    )


def contrastive_loss(
    image_embeds: torch.Tensor, text_embeds: torch.Tensor, labels: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    # With only 15 classes a batch holds many photos (and captions) of the same class; plain CLIP
    # targets would push those apart, so every same-class pair shares the target probability.
    logits = scale * F.normalize(image_embeds, dim=-1) @ F.normalize(text_embeds, dim=-1).T
    same = (labels[:, None] == labels[None, :]).float()
    targets = same / same.sum(dim=1, keepdim=True)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def group_loss(
    image_embeds: torch.Tensor,
    group_embeds: torch.Tensor,
    members: torch.Tensor,
    scale: torch.Tensor,
) -> torch.Tensor:
    """Each photo picks its group's captions among all group captions, and each group caption its
    member photos among the batch's; ``members`` (groups, batch) marks who belongs where."""
    logits = scale * F.normalize(image_embeds, dim=-1) @ F.normalize(group_embeds, dim=-1).T
    image_targets = members.T / members.T.sum(dim=1, keepdim=True)
    group_targets = members / members.sum(dim=1, keepdim=True)
    return (F.cross_entropy(logits, image_targets) + F.cross_entropy(logits.T, group_targets)) / 2


def jitter(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Randomly mirror, tilt (up to 8 degrees), zoom (up to 12%) and shift preprocessed photos.

    The generated pool is finite; these cheap variations keep the model from memorising it.
    """
    count = len(pixels)

    def spread(limit: float, *shape: int) -> torch.Tensor:
        return (torch.rand(count, *shape, generator=generator) * 2.0 - 1.0) * limit

    angle, zoom, shift = spread(math.radians(8.0)), 1.0 + spread(0.12), spread(0.12, 2)
    mirror = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin, shift[:, 0]], dim=1),
            torch.stack([sin * mirror, cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(pixels.shape), align_corners=False)
    return F.grid_sample(pixels, grid, padding_mode="border", align_corners=False)


def train(
    model: CLIPModel,
    pixels: torch.Tensor,
    labels: torch.Tensor,
    captions: Captions,
    steps: int,
    per_class_in_batch: int,
    learning_rate: float,
) -> None:
    generator = torch.Generator().manual_seed(TRAIN_SEED)
    by_class = [torch.nonzero(labels == c).squeeze(1) for c in range(CLASS_COUNT)]
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=learning_rate, weight_decay=0.0, fused=True
    )
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1.0 + math.cos(math.pi * step / steps)),
    )
    model.train()
    for step in range(steps):
        # Balanced batches: every class appears in every batch, several times over.
        picks = torch.cat(
            [
                members[torch.randint(len(members), (per_class_in_batch,), generator=generator)]
                for members in by_class
            ]
        )
        batch_labels = labels[picks]
        batch_pixels = jitter(pixels[picks], generator)
        template = torch.randint(len(TEMPLATES), (len(picks),), generator=generator)

        outputs = model(
            input_ids=torch.cat([captions.ids[batch_labels, template], captions.group_ids]),
            attention_mask=torch.cat([captions.mask[batch_labels, template], captions.group_mask]),
            pixel_values=batch_pixels,
        )
        scale, pairs = model.logit_scale.exp().clamp(max=100.0), len(picks)
        images, texts = outputs.image_embeds, outputs.text_embeds
        loss = contrastive_loss(images, texts[:pairs], batch_labels, scale) + GROUP_WEIGHT * (
            group_loss(images, texts[pairs:], captions.members[:, batch_labels], scale)
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}  logit scale {scale.item():.1f}")


def save(
    model: CLIPModel, tokenizer: CLIPTokenizerFast, processor: CLIPImageProcessor, out: Path
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    tokenizer.save_pretrained(out)
    # The pretty-printed tokenizer.json is twice the size of the compact one for identical content.
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"), pretty=False)
    processor.save_pretrained(out)


@torch.no_grad()
def embed(
    model: CLIPModel,
    processor: CLIPImageProcessor,
    tokenizer: CLIPTokenizerFast,
    photos: Sequence[Image.Image],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-length embeddings of ``photos`` and of the canonical caption of every class."""
    pixels = processor(images=list(photos), return_tensors="pt")["pixel_values"]
    images = F.normalize(model.get_image_features(pixel_values=pixels).pooler_output, dim=-1)
    queries = tokenizer([c[0] for c in CAPTIONS], padding=True, return_tensors="pt")
    texts = F.normalize(model.get_text_features(**queries).pooler_output, dim=-1)
    return images, texts


def retrieval_scores(
    images: torch.Tensor, texts: torch.Tensor, labels: torch.Tensor
) -> tuple[list[float], list[float]]:
    """Per class: precision@EVAL_PER_CLASS of its text query, and the mean share of same-class
    photos among each of its photos' 5 nearest neighbours."""
    precision = []
    top = (texts @ images.T).topk(EVAL_PER_CLASS, dim=1).indices
    for class_index in range(CLASS_COUNT):
        # Counting hits keeps 19/20 exactly equal to 0.95 (a float32 mean lands just below it).
        hits = int((labels[top[class_index]] == class_index).sum())
        precision.append(hits / EVAL_PER_CLASS)

    similarity = images @ images.T
    similarity.fill_diagonal_(-2.0)
    neighbours = labels[similarity.topk(5, dim=1).indices]
    agreement = (neighbours == labels[:, None]).float().mean(dim=1)
    per_class_agreement = [agreement[labels == c].mean().item() for c in range(CLASS_COUNT)]
    return precision, per_class_agreement


def evaluate(out: Path) -> bool:
    """Reload the saved checkpoint in float32, as the app does, and check it on unseen photos."""
    model = CLIPModel.from_pretrained(out, dtype=torch.float32).eval()
    processor = CLIPImageProcessor.from_pretrained(out)
    tokenizer = CLIPTokenizerFast.from_pretrained(out)

    labels = torch.tensor([c for c in range(CLASS_COUNT) for _ in range(EVAL_PER_CLASS)])
    in_memory = [
        class_photo(c, np.random.default_rng([EVAL_SEED_MEMORY, c, i]))
        for c in range(CLASS_COUNT)
        for i in range(EVAL_PER_CLASS)
    ]
    with tempfile.TemporaryDirectory() as folder:
        shapes = generate_folder(Path(folder), EVAL_PER_CLASS, seed=EVAL_SEED_JPEG)
        text_photos = generate_text_folder(Path(folder), EVAL_PER_CLASS, seed=EVAL_SEED_JPEG)
        from_jpeg = [Image.open(path).convert("RGB") for path in [*shapes, *text_photos]]
    jpeg_labels = torch.tensor(
        [CLASSES.index(label) for label in shapes.values()]
        + [len(CLASSES) + TEXT_KINDS.index(path.stem.split("_")[0]) for path in text_photos]
    )

    passed = True
    for name, photos, photo_labels in (
        ("in-memory photos", in_memory, labels),
        ("JPEG files", from_jpeg, jpeg_labels),
    ):
        images, texts = embed(model, processor, tokenizer, photos)
        precision, agreement = retrieval_scores(images, texts, photo_labels)
        print(f"\n{name}: {len(photos)} photos, {EVAL_PER_CLASS} per class")
        print(f"  {'query':34s} P@{EVAL_PER_CLASS}  top-5 image neighbours same class")
        for captions, p, a in zip(CAPTIONS, precision, agreement, strict=True):
            print(f"  {captions[0]:34s} {p:5.2f}  {a:5.2f}")
        mean_agreement = float(np.mean(agreement))
        print(f"  min P@{EVAL_PER_CLASS} {min(precision):.2f}, mean agreement {mean_agreement:.3f}")
        passed &= (
            min(precision) >= MIN_PRECISION_AT_20 and mean_agreement >= MIN_NEIGHBOUR_AGREEMENT
        )
        passed &= gate_separates(model, tokenizer, images, photo_labels)
    return passed


@torch.no_grad()
def gate_separates(
    model: CLIPModel, tokenizer: CLIPTokenizerFast, images: torch.Tensor, labels: torch.Tensor
) -> bool:
    """Whether photofind's text gate passes every text photo and no shape photo."""

    def text_vectors(texts: Sequence[str]) -> np.ndarray:
        batch = tokenizer(list(texts), padding=True, return_tensors="pt")
        return model.get_text_features(**batch).pooler_output.numpy()

    scores = TextGate(text_vectors).scores(images.numpy())
    has_text = (labels >= len(CLASSES)).numpy()
    lowest, highest = scores[has_text].min(), scores[~has_text].max()
    print(f"  text gate (threshold {THRESHOLD}): text photos' lowest score {lowest:.4f},")
    print(f"  photos without text's highest {highest:.4f}")
    return bool(lowest >= THRESHOLD > highest)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="checkpoint directory to write"
    )
    parser.add_argument("--steps", type=int, default=900, help="optimizer steps")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        default=DEFAULT_TOKENIZER,
        help="folder with CLIP's vocab.json and merges.txt",
    )
    args = parser.parse_args()
    if not (args.tokenizer / "vocab.json").is_file():
        parser.error(f"no CLIP vocab.json in {args.tokenizer}; pass --tokenizer DIR")

    # One thread keeps the result bit-identical whatever the core count; these matrices are too
    # small to gain much from more, and on a busy machine extra threads stall each other badly.
    torch.set_num_threads(1)
    torch.manual_seed(TRAIN_SEED)
    torch.use_deterministic_algorithms(True)

    started = time.monotonic()
    # from_pretrained, not CLIPTokenizerFast(vocab_file=..., merges_file=...): transformers 5
    # ignores those arguments and silently builds a tokenizer with an empty vocabulary.
    tokenizer = CLIPTokenizerFast.from_pretrained(args.tokenizer, model_max_length=77)
    processor = build_image_processor()
    pixels, labels = training_pool()
    captions = tokenize_captions(tokenizer)
    print(f"generated {len(labels)} training photos in {time.monotonic() - started:.0f} s")

    model = build_model()
    train(
        model,
        pixels,
        labels,
        captions,
        args.steps,
        per_class_in_batch=6,
        learning_rate=2e-3,
    )
    save(model, tokenizer, processor, args.out)
    print(f"trained and saved in {time.monotonic() - started:.0f} s")

    size = sum(path.stat().st_size for path in args.out.iterdir())
    print(f"{args.out}: {size / 1e6:.2f} MB")
    passed = evaluate(args.out) and size <= MAX_DIR_BYTES
    print(f"\n{'PASS' if passed else 'FAIL'} after {time.monotonic() - started:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
