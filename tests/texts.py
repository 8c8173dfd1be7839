"""Deterministic synthetic photos with text on them: receipts, screenshots and slides.

Used to train the tiny CLIP fixture's text classes (tests/fixture_model/) and by tests of reading
text in photos, which need to know the words on each photo.  Text is drawn with Pillow's bundled
FreeType font (``ImageFont.load_default(size=...)``), so the photos are identical on any machine
and need no system fonts; it is 24-56 px high on photos 600-1000 px wide, as a phone photo of a
receipt or a screenshot would show it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TEXT_KINDS: tuple[str, ...] = ("receipt", "screenshot", "slide")

# Captions the fixture model was trained on for each kind; the first is the canonical query.
TEXT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "receipt": ("a receipt", "a photo of a receipt", "a shop receipt", "a page of text"),
    "screenshot": (
        "a screenshot",
        "a screenshot of text",
        "a photo of a screenshot",
        "a computer screen",
    ),
    "slide": ("a slide", "a presentation slide", "a document", "a slide with text"),
}

_SHOPS = (
    "Lighthouse Bakery",
    "Harbour Books",
    "Maple Grocers",
    "Juniper Pharmacy",
    "Copper Kettle Cafe",
    "Northwind Hardware",
)
_ITEMS = (
    "Sourdough",
    "Croissant",
    "Espresso",
    "Notebook",
    "Batteries",
    "Tomatoes",
    "Olive oil",
    "Lemonade",
    "Paperclips",
    "Cheddar",
    "Honey jar",
    "Blueberries",
)
_WINDOW_TITLES = ("Quarterly report", "Meeting notes", "Inbox", "Travel plans", "Garden diary")
_SENTENCES = (
    "Budget review moved to Friday",
    "Send the quarterly report",
    "Backup finished at 04:00",
    "Call the plumber tomorrow",
    "Flight leaves Gate 7",
    "Password expires in 5 days",
    "Rent paid by transfer",
    "Dinner booked for eight",
    "Library loans due Monday",
    "Update ready to install",
)
_SLIDE_TITLES = ("Project Roadmap", "Sales by Region", "Annual Results", "Team Goals 2025")
_BULLETS = (
    "Revenue up 12 percent",
    "Launch in September",
    "Hire two engineers",
    "New office in Lisbon",
    "Customer survey results",
    "Reduce costs by March",
    "Mobile app redesign",
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def known_words(lines: Sequence[str]) -> list[str]:
    """The words of ``lines`` in reading order: what reading the photo back should find."""
    return [word for line in lines for word in line.split()]


def _grain(image: Image.Image, rng: np.random.Generator, amplitude: float) -> Image.Image:
    """``image`` with a little uniform sensor-like noise, so it compresses like a photo."""
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    noise = rng.random(pixels.shape, dtype=np.float32) - 0.5
    pixels = np.clip(pixels + noise * amplitude, 0.0, 1.0)
    return Image.fromarray((pixels * 255.0 + 0.5).astype(np.uint8))


def _shade(rng: np.random.Generator, low: int, high: int) -> tuple[int, ...]:
    """A near-neutral colour, each channel within ``low``-``high`` and close to the others."""
    base = int(rng.integers(low, high + 1))
    return tuple(int(np.clip(base + rng.integers(-6, 7), 0, 255)) for _ in range(3))


def receipt_lines(rng: np.random.Generator) -> list[str]:
    """The text of a random receipt: shop, invoice number, date, items with prices, total."""
    items = rng.choice(len(_ITEMS), size=int(rng.integers(3, 6)), replace=False)
    cents = [int(rng.integers(95, 1500)) for _ in items]
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    return [
        str(_SHOPS[int(rng.integers(len(_SHOPS)))]),
        f"INVOICE {int(rng.integers(1000, 9999))}",
        f"Date 2024-{month:02d}-{day:02d}",
        *(f"{_ITEMS[i]} {c // 100}.{c % 100:02d}" for i, c in zip(items, cents, strict=True)),
        f"Total {sum(cents) // 100}.{sum(cents) % 100:02d}",
    ]


def make_receipt(lines: Sequence[str], rng: np.random.Generator) -> Image.Image:
    """A photo of a paper receipt on a table: white or cream paper, dark text, one line each.

    The first line is the shop's name, drawn larger; in later lines a trailing price is set flush
    right, as tills print it.
    """
    width, height = int(rng.integers(620, 760)), int(rng.integers(900, 1000))
    image = Image.new("RGB", (width, height), _shade(rng, 60, 120))
    draw = ImageDraw.Draw(image)
    margin = int(rng.integers(30, 60))
    paper = (255, 255, 255) if rng.uniform() < 0.5 else (250, 244, 226)
    draw.rectangle((margin, 20, width - margin, height - 20), fill=paper)
    ink = _shade(rng, 10, 50)
    size = int(rng.integers(28, 34))
    left, right, y = margin + 30, width - margin - 30, 60
    for index, line in enumerate(lines):
        font = _font(size + 10 if index == 0 else size)
        head, _, last = line.rpartition(" ")
        if index > 0 and head and last[:1].isdigit() and "." in last:
            draw.text((left, y), head, fill=ink, font=font)
            draw.text((right, y), last, fill=ink, font=font, anchor="ra")
        else:
            draw.text((left, y), line, fill=ink, font=font)
        y += int((size + 10 if index == 0 else size) * 1.9)
    return _grain(image, rng, rng.uniform(0.03, 0.08))


def screenshot_lines(rng: np.random.Generator) -> list[str]:
    """The text of a random screenshot: a window title, then three to five sentences."""
    picks = rng.choice(len(_SENTENCES), size=int(rng.integers(3, 6)), replace=False)
    title = str(_WINDOW_TITLES[int(rng.integers(len(_WINDOW_TITLES)))])
    return [title, *(_SENTENCES[i] for i in picks)]


def make_screenshot(lines: Sequence[str], rng: np.random.Generator) -> Image.Image:
    """A screenshot of a window, light or dark: a title bar with the first line, then the rest."""
    width, height = int(rng.integers(900, 1000)), int(rng.integers(600, 700))
    dark = rng.uniform() < 0.5
    body, ink = (
        (_shade(rng, 30, 45), _shade(rng, 215, 240))
        if dark
        else (
            _shade(rng, 245, 255),
            _shade(rng, 15, 45),
        )
    )
    bar = _shade(rng, 55, 75) if dark else _shade(rng, 210, 225)
    image = Image.new("RGB", (width, height), body)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 56), fill=bar)
    for i, colour in enumerate(((236, 95, 87), (245, 190, 80), (98, 197, 84))):
        draw.ellipse((18 + 28 * i, 19, 36 + 28 * i, 37), fill=colour)
    draw.text((width // 2, 28), lines[0], fill=ink, font=_font(26), anchor="mm")
    size, y = int(rng.integers(28, 34)), 100
    for line in lines[1:]:
        draw.text((48, y), line, fill=ink, font=_font(size))
        y += int(size * 2.1)
    return _grain(image, rng, 0.02)


def slide_lines(rng: np.random.Generator) -> list[str]:
    """The text of a random slide: a title, then three or four bullet points."""
    picks = rng.choice(len(_BULLETS), size=int(rng.integers(3, 5)), replace=False)
    title = str(_SLIDE_TITLES[int(rng.integers(len(_SLIDE_TITLES)))])
    return [title, *(_BULLETS[i] for i in picks)]


def make_slide(lines: Sequence[str], rng: np.random.Generator) -> Image.Image:
    """A presentation slide: a coloured band with the title in white, then bullet points."""
    width = int(rng.integers(960, 1000))
    height = width * 9 // 16
    image = Image.new("RGB", (width, height), _shade(rng, 240, 255))
    draw = ImageDraw.Draw(image)
    band = tuple(int(c) for c in rng.integers(30, 110, size=3))
    draw.rectangle((0, 0, width, 110), fill=band)
    draw.text(
        (50, 55), lines[0], fill=(255, 255, 255), font=_font(int(rng.integers(48, 57))), anchor="lm"
    )
    size, y, ink = int(rng.integers(30, 37)), 150, _shade(rng, 20, 50)
    for line in lines[1:]:
        draw.ellipse((56, y + size // 2 - 6, 68, y + size // 2 + 6), fill=band)
        draw.text((90, y), line, fill=ink, font=_font(size))
        y += int(size * 2.0)
    return _grain(image, rng, 0.02)


_MAKERS = {
    "receipt": (receipt_lines, make_receipt),
    "screenshot": (screenshot_lines, make_screenshot),
    "slide": (slide_lines, make_slide),
}


def make_text_photo(kind: str, rng: np.random.Generator) -> tuple[Image.Image, list[str]]:
    """A random photo of ``kind`` (one of TEXT_KINDS) and the words written on it."""
    if kind not in _MAKERS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {TEXT_KINDS}")
    write, draw = _MAKERS[kind]
    lines = write(rng)
    return draw(lines, rng), known_words(lines)


def generate_text_folder(
    folder: Path,
    per_kind: int,
    seed: int = 0,
    kinds: Sequence[str] = TEXT_KINDS,
    age_seconds: float = 0.0,
) -> dict[Path, list[str]]:
    """Write ``per_kind`` JPEG photos of every kind into ``folder`` as ``receipt_003.jpg`` etc.

    Each photo is seeded by (seed, kind, index) alone, so a smaller ``per_kind`` yields a subset
    of the same files.  ``age_seconds`` dates them that far back (see shapes.generate_folder).
    Returns each written path with the words on it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[Path, list[str]] = {}
    for kind in kinds:
        for i in range(per_kind):
            rng = np.random.default_rng([seed, 100 + TEXT_KINDS.index(kind), i])
            photo, words = make_text_photo(kind, rng)
            path = folder / f"{kind}_{i:03d}.jpg"
            photo.save(path, quality=90)
            written[path] = words
            if age_seconds:
                then = time.time() - age_seconds
                os.utime(path, (then, then))
    return written
