"""Decoding and thumbnail threads yield the CPU to the window's thread."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from photofind.core.threads import BACKGROUND_NICE, lower_this_threads_priority


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_a_background_thread_gets_a_higher_nice_value_and_others_keep_theirs() -> None:
    seen: dict[str, int] = {}

    def background() -> None:
        lower_this_threads_priority()
        lower_this_threads_priority()  # again: no change, no error
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["nice"] >= BACKGROUND_NICE
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
