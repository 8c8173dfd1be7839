"""Whether the places a library's photos live in can be reached now.

A place is a folder whose photos can be away while the rest of the library is there: a
library folder (on a drive that is unplugged, a share that is not mounted), a mount point
below one, or a symbolic link to a folder (dangling while its target's drive is away). Each
is recorded with the device it was on when its photos were there. Photos of a place that is
away are kept, only hidden, until it is back: "not there now" is never "gone".
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable
from enum import Enum

from photofind.core.index.store import Store
from photofind.core.photos.scanning import is_within

log = logging.getLogger(__name__)

# Known photos looked for in a place found on another device than recorded: one of them
# there tells a drive plugged into another port from a bare (or littered) mount point.
SAMPLE = 5


class Reach(Enum):
    HERE = "here"  # can be read now
    AWAY = "away"  # not there now: its photos are kept, hidden
    GONE = "gone"  # the link or folder was removed, from a place that is here: photos go


def reach(
    place: str, device: int | None, library_folder: bool, has_known_photo: Callable[[], bool]
) -> Reach:
    """How `place`, recorded on `device` (None: not recorded yet), can be reached now."""
    try:
        st = os.stat(place)
    except FileNotFoundError:
        return Reach.AWAY if library_folder else _missing(place, device)
    except OSError:
        return Reach.AWAY  # unreadable, a dead share, an I/O error: there, not now
    if not stat.S_ISDIR(st.st_mode):
        return Reach.AWAY
    if device is None or st.st_dev == device:
        return Reach.HERE
    # On another device than when its photos were there: either the same drive in another
    # port, or the bare mount point it hides when it is not mounted (which may hold a
    # stray file of its own). Only the first still holds the photos.
    return Reach.HERE if has_known_photo() else Reach.AWAY


def _missing(place: str, device: int | None) -> Reach:
    """A place below a library folder that is not there. A link whose target is away still
    exists itself; a mount point may be removed on unmount (as desktop automounters do). So
    only a folder or link that lived on its parent's device, under a parent that is here,
    was removed by someone."""
    if os.path.lexists(place):
        return Reach.AWAY  # a dangling link: its target's drive is away
    try:
        parent = os.stat(os.path.dirname(place))
    except OSError:
        return Reach.AWAY  # the folder above is not there either
    return Reach.GONE if parent.st_dev == device else Reach.AWAY


def check_places(store: Store, folders: Iterable[str]) -> dict[str, Reach]:
    """How each library folder, and each recorded place below one, can be reached now: one
    look at each place, never at each photo, so a dead share cannot stall a search."""
    folders = list(folders)
    recorded = store.places()
    places: dict[str, int | None] = {
        p: d for p, d in recorded.items() if any(is_within(p, f) for f in folders)
    }
    for folder in folders:
        places.setdefault(folder, None)
    return {
        place: reach(place, device, place in folders, lambda p=place: _has_known_photo(store, p))
        for place, device in places.items()
    }


def _has_known_photo(store: Store, place: str) -> bool:
    known = store.some_paths_under(place, SAMPLE)
    return not known or any(os.path.isfile(p) for p in known)


def not_here(reaches: dict[str, Reach]) -> list[str]:
    """Places whose photos a search does not show."""
    return sorted(p for p, r in reaches.items() if r is not Reach.HERE)


def away(reaches: dict[str, Reach]) -> list[str]:
    """Places whose photos an index run keeps although it did not find them."""
    return sorted(p for p, r in reaches.items() if r is Reach.AWAY)


def remember_places(
    store: Store, folders: Iterable[str], reaches: dict[str, Reach], found: dict[str, int]
) -> None:
    """After a scan: record the places it `found` (with their devices now) that are here,
    and forget those removed or no longer below a library folder. A place that is away keeps
    the device its photos were on."""
    folders = list(folders)
    recorded = store.places()
    record = {
        p: d
        for p, d in found.items()
        if reaches.get(p, Reach.HERE) is Reach.HERE and recorded.get(p) != d
    }
    forget = [
        p
        for p in recorded
        if reaches.get(p) is Reach.GONE or not any(is_within(p, f) for f in folders)
    ]
    if record or forget:
        for place in record:
            if place in recorded:
                log.info("%s is on another device now; its photos are there", place)
        store.set_places(record, forget)
