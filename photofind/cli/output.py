"""What the CLI prints: paths made safe for a terminal and for JSON, and ranked photos."""

from __future__ import annotations

import base64
import json
import os
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photofind.core.api import Duplicate, Hit


def shown(text: str) -> str:
    """A path (or a message holding one) as one line a terminal prints as it is: control
    characters, line breaks and the bidirectional controls that could reorder the line are
    written as escapes (ESC as \\x1b, a newline as \\n), and so are the bytes of a file name
    that are not UTF-8 (\\xff); on POSIX a backslash is doubled, so every escape is
    unambiguous. A name holding ESC ] 0; … BEL could otherwise retitle the terminal."""
    return "".join(_escaped(c) for c in text)


# Bidirectional overrides, embeddings and isolates: they reorder how a line is displayed.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(c: str) -> str:
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if c == "\\" and os.sep == "/":
        return "\\\\"
    if c in _NAMED:
        return _NAMED[c]
    if unicodedata.category(c) == "Cc" or c in "\u2028\u2029" or c in _BIDI_CONTROLS:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return c


def json_path(path: str) -> dict[str, str]:
    """A path for JSON output. JSON text is Unicode, and a Linux file name may be any bytes:
    such a name's "path" shows the bytes that are not UTF-8 as U+FFFD, and "path_bytes"
    holds the name's exact bytes in base64, so a script can still open the file."""
    text = json_text(path)
    if text == path:
        return {"path": path}
    return {"path": text, "path_bytes": base64.b64encode(os.fsencode(path)).decode("ascii")}


def json_text(text: str) -> str:
    """`text` with the bytes of a file name that are not UTF-8 shown as U+FFFD."""
    return os.fsencode(text).decode("utf-8", "replace")


def print_hits(hits: list[Hit], as_json: bool) -> None:
    if as_json:
        print(json.dumps([{**json_path(h.path), "score": round(h.score, 6)} for h in hits]))
    else:
        for h in hits:
            print(f"{h.score:6.3f}  {shown(h.path)}")


def print_duplicates(groups: list[list[Duplicate]], as_json: bool) -> None:
    if as_json:
        print(json.dumps([[_json_duplicate(d) for d in g] for g in groups]))
        return
    for i, group in enumerate(groups):
        if i:
            print()
        print(f"{len(group)} alike:")
        for d in group:
            print(f"{d.score:6.3f}  {shown(d.path)}")


def _json_duplicate(dup: Duplicate) -> dict[str, object]:
    return {
        **json_path(dup.path),
        "score": round(dup.score, 6),
        "alike_kept": dup.alike_kept,
        "aliases": [json_path(alias) for alias in dup.aliases],
    }
