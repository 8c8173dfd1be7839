"""photofind's modules stay small enough to read whole and its functions short enough to read
at once: no module over 400 lines, no function over 60, unless its first lines say why."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "photofind"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# A module or function may be longer if a comment or docstring at its top says why, with
# this phrase.
EXCEPTION = "longer than the rule because"


def _says_why(lines: list[str], first: int) -> bool:
    return any(EXCEPTION in line for line in lines[first : first + 6])


def test_no_module_or_function_is_too_long_to_read() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        name = path.relative_to(PACKAGE.parent)
        if len(lines) > MAX_MODULE_LINES and not _says_why(lines, 0):
            too_long.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and not _says_why(lines, node.lineno - 1):
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []
