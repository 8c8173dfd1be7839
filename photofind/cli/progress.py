"""The CLI's progress on stderr, drawn by tqdm on a terminal; tqdm is imported only when a
bar is drawn, so a command that draws none starts without it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TextIO

from photofind.units import human_size

if TYPE_CHECKING:
    from tqdm import tqdm

    from photofind.core.api import DownloadProgress, IndexProgress

# What the index bar says in each phase, and what it counts; the other phases are "Indexing".
_INDEX_BARS = {
    "scanning": ("Scanning", " files"),
    "graph": ("Building the approximate index", " photos"),
    "places": ("Reading where older photos were taken", " photos"),
    "texts": ("Reading text in photos", " photos"),
}


class ProgressBar:
    """The index run's bar on a terminal, drawn by tqdm; silent when stderr is a file or pipe."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self._bar: tqdm | None = None
        self._label = ""

    def update(self, p: IndexProgress) -> None:
        if not self.enabled:
            return
        label, unit = _INDEX_BARS.get(p.phase, ("Indexing", " photos"))
        if self._bar is None or label != self._label:
            from tqdm import tqdm

            self.close()
            self._label = label
            self._bar = tqdm(desc=label, unit=unit, file=self.stream, leave=False)
        self._bar.total = p.total or None  # none while scanning: a count, not a bar
        self._bar.update(p.done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextlib.contextmanager
def fraction_bar(stream: TextIO, label: str) -> Iterator[Callable[[float], None]]:
    """Yields a callback taking the fraction of the work done, drawn as a bar on a terminal;
    silent when `stream` is a file or pipe. The bar is cleared when the work ends."""
    if not stream.isatty():
        yield lambda _done: None
        return
    from tqdm import tqdm

    with tqdm(
        desc=label,
        total=1.0,
        file=stream,
        leave=False,
        bar_format="{l_bar}{bar}| [{elapsed}<{remaining}]",
    ) as bar:
        yield lambda done: bar.update(done - bar.n)


class DownloadLine:
    """A first run's model download on stderr: a live bar on a terminal (tqdm's), otherwise a
    line when it starts; and a line when it is done."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.ref = ""
        self.active = False
        self._bar: tqdm | None = None

    def __call__(self, p: DownloadProgress) -> None:
        if not self.active:
            self.active = True
            self.ref = p.ref
            self._start(p)
        if p.finished:
            self.close()
            self._write(f"photofind: downloaded model {p.ref} ({human_size(p.bytes_total)})\n")
        elif self._bar is not None:
            self._bar.update(p.bytes_done - self._bar.n)

    def close(self) -> bool:
        """Ends the live bar; True if a download was under way."""
        was_active, self.active = self.active, False
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        return was_active

    def _start(self, p: DownloadProgress) -> None:
        if self.tty:
            from tqdm import tqdm

            self._bar = tqdm(
                desc=f"Downloading {p.ref}",
                total=p.bytes_total,
                initial=p.bytes_done,
                unit="B",
                unit_scale=True,
                unit_divisor=1000,
                file=self.stream,
                leave=False,
            )
        else:
            resumed = f", resuming at {human_size(p.bytes_done)}" if p.bytes_done else ""
            self._write(
                f"photofind: downloading model {p.ref} ({human_size(p.bytes_total)}{resumed}) "
                "into the Hugging Face cache\n"
            )

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
