"""A guard on the Qt binding itself: a broken PySide6 build crashes the app much later, far
from the cause, so it is caught here with a clear message."""

from __future__ import annotations

import gc
import sys

import pytest
from PySide6.QtCore import QRectF


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_void_qt_calls_keep_none_alive() -> None:
    rect = QRectF(0, 0, 10, 10)
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(2000):
        rect.moveCenter(rect.center())  # returns None
    gc.collect()
    # A broken build loses one reference a call (2000 here); other threads of the test
    # session (a background export, Qt's) move the count by a few dozen either way.
    assert sys.getrefcount(None) > before - 1000, (
        "this PySide6 build loses a reference to None on every void call and will abort the "
        "app ('deallocating None'); use PySide6 < 6.12 on Python < 3.12"
    )
