"""Render the app icon's PNG sizes from its SVG, the one source of the icon.

    python packaging/render_icons.py          # rewrite photofind/resources/icons/photofind-N.png
    python packaging/render_icons.py --check  # exit 1 if a PNG is missing or out of date

Uses Qt's own SVG renderer (PySide6, already a dependency), so no extra tool is needed. Run it
after editing the SVG and commit the PNGs: desktops and the app load the PNGs as they are.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent.parent / "photofind" / "resources" / "icons"
SVG = ICON_DIR / "photofind.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)
# A PNG counts as a render of the SVG while at most this share of its pixels differ from a fresh
# render by more than PIXEL_TOLERANCE (0-255) in some channel: room for another Qt version's
# anti-aliasing along edges, none for a change of colour or shape.
PIXEL_TOLERANCE = 40
SHARE_TOLERANCE = 0.004


def png_path(size: int) -> Path:
    return ICON_DIR / f"photofind-{size}.png"


def _app():  # -> QGuiApplication
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(sys.argv[:1])


def render(size: int, svg: Path = SVG):  # -> QImage
    """The SVG drawn into a transparent size x size ARGB image."""
    _app()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def difference(a, b) -> float:
    """The share (0-1) of pixels of two QImages that differ by more than PIXEL_TOLERANCE in a
    channel; 1.0 when their sizes differ."""
    import numpy as np

    def pixels(image) -> np.ndarray:
        from PySide6.QtGui import QImage

        image = image.convertToFormat(QImage.Format.Format_RGBA8888_Premultiplied)
        buffer = np.frombuffer(image.constBits(), dtype=np.uint8)
        rows = buffer.reshape(image.height(), image.bytesPerLine())
        # A copy: the buffer is the QImage's memory, freed with it when this returns.
        return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()

    if a.size() != b.size():
        return 1.0
    channels = np.abs(pixels(a).astype(np.int16) - pixels(b).astype(np.int16))
    return float((channels.max(axis=2) > PIXEL_TOLERANCE).mean())


def stale_sizes() -> list[int]:
    """Sizes whose PNG is missing, of the wrong size, or no longer a render of the SVG."""
    _app()
    from PySide6.QtGui import QImage

    stale = []
    for size in SIZES:
        image = QImage(str(png_path(size)))
        if image.isNull() or difference(image, render(size)) > SHARE_TOLERANCE:
            stale.append(size)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the PNGs are current")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_sizes()
        if stale:
            print(f"out of date: {', '.join(str(png_path(s)) for s in stale)}", file=sys.stderr)
            print("run: python packaging/render_icons.py", file=sys.stderr)
            return 1
        print(f"{len(SIZES)} PNGs match {SVG.name}")
        return 0
    for size in SIZES:
        if not render(size).save(str(png_path(size)), "PNG"):
            raise OSError(f"could not write {png_path(size)}")
        print(png_path(size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
