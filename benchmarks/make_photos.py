"""Deterministic 12-megapixel JPEGs that decode and compress like phone photos.

Flat or smooth synthetic images are misleading for a decode benchmark: libjpeg's cost grows
with the entropy-coded data, so a 300 KB "photo" decodes several times faster than a real
3-4 MB one. These photos layer gradients, soft blobs, hard-edged shapes, mid-scale texture
and sensor-like grain, which lands at phone-like sizes (~3-4 MB at quality 92) and keeps
every DCT block busy. Each photo depends only on (seed, index), so any N is a prefix of a
larger N, and the set is cached.

    python -m benchmarks.make_photos N [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
WIDTH, HEIGHT = 4000, 3000
QUALITY = 92
SEED = 40_003_000
# Bump when the content recipe changes, so cached folders are regenerated.
RECIPE_VERSION = 1
_STAMP = ".photos.json"

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_ORIENTATION = 0x0112
_MAKE, _MODEL = 0x010F, 0x0110


def _smooth_noise(rng: np.random.Generator) -> np.ndarray:
    """Octaves of smooth noise, from sky-sized blotches to leaf/fabric-sized texture (HxWx3).

    The octaves are summed at a quarter of the resolution and upsampled once, which is
    several times cheaper than upsampling each to 12 MP and looks the same after JPEG.
    """
    mid = (WIDTH // 3, HEIGHT // 3)
    total = np.zeros((mid[1], mid[0], 3), dtype=np.float32)
    for cells, amp in (((4, 5), 0.12), ((30, 40), 0.06), ((300, 400), 0.05), ((1000, 1333), 0.04)):
        coarse = rng.normal(0.0, amp, (*cells, 3)).astype(np.float32)
        for c in range(3):
            plane = Image.fromarray(coarse[..., c])
            total[..., c] += np.asarray(plane.resize(mid, Image.Resampling.BICUBIC))
    full = [
        np.asarray(Image.fromarray(total[..., c]).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC))
        for c in range(3)
    ]
    return np.stack(full, axis=-1)


def render(index: int, seed: int = SEED) -> Image.Image:
    rng = np.random.default_rng([seed, index])
    xs = np.linspace(-1.0, 1.0, WIDTH, dtype=np.float32)[None, :, None]
    ys = np.linspace(-1.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    base = rng.uniform(0.25, 0.75, 3).astype(np.float32)
    slope = rng.uniform(-0.2, 0.2, (2, 3)).astype(np.float32)
    img = base + xs * slope[0] + ys * slope[1] + _smooth_noise(rng)

    # Hard edges (objects, horizons) give the high-frequency structure real scenes have.
    canvas = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(20, 40))):
        x, y = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
        r = rng.uniform(40, 600)
        shade = int(rng.integers(0, 256))
        if rng.uniform() < 0.5:
            draw.ellipse((x - r, y - r * rng.uniform(0.4, 1.0), x + r, y + r), fill=shade)
        else:
            pts = [(x + rng.uniform(-r, r), y + rng.uniform(-r, r)) for _ in range(5)]
            draw.polygon(pts, fill=shade)
    edges = np.asarray(canvas.filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32)
    tint = rng.uniform(-0.35, 0.35, 3).astype(np.float32)
    img = img + (edges[..., None] / 255.0) * tint

    # Sensor grain after the phone's own denoising: small, per-pixel, luma-heavy.
    grain = rng.standard_normal((HEIGHT, WIDTH), dtype=np.float32) * 0.013
    img = img + grain[..., None]
    img = img + rng.standard_normal((HEIGHT, WIDTH, 3), dtype=np.float32) * 0.006
    return Image.fromarray((np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


def encode(index: int, seed: int = SEED) -> bytes:
    image = render(index, seed)
    exif = Image.Exif()
    exif[_MAKE] = "photofind-bench"
    exif[_MODEL] = "synthetic 12MP"
    # A quarter are portrait shots stored sideways, as phones do, so the decode path pays
    # for its EXIF rotation like it would on a real camera roll.
    exif[_ORIENTATION] = 6 if index % 4 == 3 else 1
    day = 1 + index % 28
    exif.get_ifd(_EXIF_IFD)[_DATETIME_ORIGINAL] = f"2024:05:{day:02d} 12:{index % 60:02d}:00"
    buf = io.BytesIO()
    # 4:2:0 chroma subsampling and optimised Huffman tables, like phone camera pipelines.
    image.save(buf, "JPEG", quality=QUALITY, subsampling=2, optimize=True, exif=exif)
    return buf.getvalue()


def _write(args: tuple[int, int, str]) -> int:
    index, seed, folder = args
    path = Path(folder) / f"IMG_{index:05d}.jpg"
    if not path.exists():
        data = encode(index, seed)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path.stat().st_size


def ensure_photos(count: int, out: Path | None = None, workers: int | None = None) -> Path:
    """A folder holding exactly photos 0..count-1 (generated on first use, then cached).

    Photos are generated once into a shared pool and hard-linked into one folder per count,
    so a run with more photos generates only the missing ones.
    """
    folder = out or CACHE / f"photos-{count}"
    stamp = folder / _STAMP
    meta = {"recipe": RECIPE_VERSION, "seed": SEED, "count": count, "quality": QUALITY}
    if stamp.is_file() and json.loads(stamp.read_text()) == meta:
        return folder
    pool = CACHE / f"photo-pool-v{RECIPE_VERSION}"
    pool.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(count) if not (pool / f"IMG_{i:05d}.jpg").exists()]
    if missing:
        jobs = [(i, SEED, str(pool)) for i in missing]
        with ProcessPoolExecutor(workers or os.cpu_count() or 2) as pool_exec:
            list(pool_exec.map(_write, jobs, chunksize=1))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("IMG_*.jpg"):
        stale.unlink()
    for i in range(count):
        name = f"IMG_{i:05d}.jpg"
        os.link(pool / name, folder / name)
    stamp.write_text(json.dumps(meta))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(ensure_photos(args.count, args.out))


if __name__ == "__main__":
    main()
