"""The tests read no private name of photofind: they test what a user or a caller can see, so
that the code behind it can change without rewriting them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# Generated model files, not tests.
SKIPPED = (TESTS / "fixture_model" / "tiny-clip",)
# Calls whose string argument names an attribute: setattr(obj, "_x", ...) and monkeypatch's.
ATTRIBUTE_CALLS = {"setattr", "getattr", "delattr", "hasattr"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_names_of_photofind() -> set[str]:
    """Every private name photofind defines: functions, classes, module and object fields."""
    names: set[str] = set()
    for path in (ROOT / "photofind").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return {n for n in names if _is_private(n)}


def _test_files() -> Iterator[Path]:
    for path in sorted(TESTS.rglob("*.py")):
        if not any(path.is_relative_to(skipped) for skipped in SKIPPED):
            yield path


def _reads(tree: ast.AST, private: set[str]) -> Iterator[tuple[int, str]]:
    """(line, what) for each read of one of the `private` names in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private:
            # A test helper's own fields (self._lock in a fake server) are its business.
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                yield node.lineno, f".{node.attr}"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("photofind"):
            for alias in node.names:
                if _is_private(alias.name):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ATTRIBUTE_CALLS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        # "attr" or "photofind.module.attr" (monkeypatch's dotted form).
                        last = arg.value.rsplit(".", 1)[-1]
                        if last in private:
                            yield node.lineno, f'"{arg.value}"'


def test_no_test_reads_a_private_name_of_photofind() -> None:
    private = _private_names_of_photofind()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _test_files()
        for line, what in _reads(ast.parse(path.read_text(encoding="utf-8")), private)
    ]
    assert not found, "tests reading private names (test through public behaviour):\n" + "\n".join(
        found
    )


def test_the_check_sees_each_kind_of_private_read() -> None:
    source = """
from photofind.core.photos.imaging import _hidden
store._conn.execute("")
monkeypatch.setattr(decoding, "_hidden", None)
monkeypatch.setattr("photofind.core.index.decoding._hidden", None)
self._hidden = 1
"""
    lines = sorted(line for line, _ in _reads(ast.parse(source), {"_hidden", "_conn"}))
    assert lines == [2, 3, 4, 5]
