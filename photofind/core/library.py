"""One library: its data dir, its chosen model and device. What the CLI and the app open."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.core.errors import FolderNotFoundError
from photofind.core.index.indexer import IndexProgress, index_library
from photofind.core.index.locate_stage import locate_old_photos
from photofind.core.index.lock import index_lock
from photofind.core.index.places import check_places, not_here
from photofind.core.index.store import PhotoText, PlaceKey, Store
from photofind.core.index.text_stage import judge_contents, read_texts, text_mode
from photofind.core.model.encoder import PhotoEncoder, TextEncoder
from photofind.core.model.lifecycle import ModelSlots
from photofind.core.model.ref import DEFAULT_MODEL, model_key
from photofind.core.photos.scanning import Scope, is_within
from photofind.core.search.duplicates import (
    Duplicate,
    describe_groups,
    duplicate_candidates,
    find_duplicates,
    photos_for_trash,
)
from photofind.core.search.filters import Filters
from photofind.core.search.finder import Finder
from photofind.core.search.locate import Heatmap, locate
from photofind.core.search.search import Hit, Searcher, load_query_photo
from photofind.core.search.tags import Tagger, TagScore, counts, load_vocabulary

if TYPE_CHECKING:
    from PIL import Image

    from photofind.core.model.download import DownloadProgress


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("photofind", appauthor=False))


class Library:
    """Owns the store and, once needed, the encoder. Use it from one thread: the one that owns
    the model and the database writes."""

    def __init__(
        self,
        data_dir: Path,
        model: str = DEFAULT_MODEL,
        device: str = "auto",
        on_download: Callable[[DownloadProgress], None] | None = None,
        index: str = "exact",
        model_in_child: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.model_in_child = model_in_child
        self.model = model
        self.device = device
        self._models = ModelSlots(model, device, on_download, model_in_child)
        self.model_name = model_key(model)
        self.store = Store.open(data_dir)
        self._tagger: tuple[dict[str, str], Tagger] | None = None
        self.searcher = Searcher(
            self.store,
            self.model_name,
            self.encoder,
            text_encoder=self.text_encoder,
            snapshot_dir=data_dir / "vector-snapshots",
            index=index,
            index_dir=self.approximate_index_dir,
        )
        self.finder = Finder(self.store, self.searcher, self.tagger)

    @property
    def approximate_index_dir(self) -> Path:
        return self.data_dir / "approximate-index"

    def use_index(self, kind: str) -> None:
        """Rank with the "exact" or the "approximate" index from now on (see Searcher); the
        next indexing run builds the graph the approximate one needs."""
        self.searcher.use_index(kind, self.approximate_index_dir)

    def close(self) -> None:
        self.store.close()
        self._models.close()

    # The model's lifecycle lives in core.model.lifecycle; these forward to it.

    @property
    def on_download(self) -> Callable[[DownloadProgress], None] | None:
        """Hears a first run's model download (see Encoder.load); indexing's cancel stops it."""
        return self._models.on_download

    @on_download.setter
    def on_download(self, listener: Callable[[DownloadProgress], None] | None) -> None:
        self._models.on_download = listener

    @property
    def on_encoder_loaded(self) -> Callable[[PhotoEncoder], None] | None:
        """Told, on the loading thread, when the whole model has loaded (the app sets it)."""
        return self._models.on_loaded

    @on_encoder_loaded.setter
    def on_encoder_loaded(self, listener: Callable[[PhotoEncoder], None] | None) -> None:
        self._models.on_loaded = listener

    def encoder(self, cancel: threading.Event | None = None) -> PhotoEncoder:
        """The whole model, for encoding photos (see ModelSlots.encoder)."""
        return self._models.encoder(cancel)

    def load_encoder_in_background(
        self, cancel: threading.Event | None = None
    ) -> Future[PhotoEncoder]:
        return self._models.load_encoder_in_background(cancel)

    def encoder_if_ready(self) -> PhotoEncoder | None:
        return self._models.encoder_if_ready()

    @property
    def encoder_loaded(self) -> bool:
        return self._models.encoder_loaded

    def load_text_encoder_in_background(self, cancel: threading.Event) -> Future[TextEncoder]:
        return self._models.load_text_encoder_in_background(cancel)

    def text_encoder(self, cancel: threading.Event | None = None) -> TextEncoder:
        """What text queries need, without torch for the CLIP family (ModelSlots.text_encoder)."""
        return self._models.text_encoder(cancel)

    def tagger(self) -> Tagger:
        """Tags of the vocabulary in tags.txt (read each time, so edits apply at once), for
        this model; the tag vectors are computed once per vocabulary. Each model's own
        logit scale calibrates its tags: CLIP's text tower carries it; for other families
        the whole model is loaded."""
        vocabulary = load_vocabulary(self.data_dir)
        if self._tagger is None or self._tagger[0] != vocabulary:
            text = self.text_encoder()
            source = text if getattr(text, "logit_scale", None) else self.encoder()
            tagger = Tagger(
                vocabulary,
                source.encode_texts,
                source.logit_scale,
                getattr(source, "logit_bias", None),
            )
            self._tagger = (vocabulary, tagger)
        return self._tagger[1]

    def search(
        self, text: str, top: int, tag: str | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """Photos matching a query: CLIP terms, quoted words and places (core.search.finder),
        only those carrying `tag` if given, narrowed, cut and ordered by `filters`."""
        return self.finder.search(text, top, tag, filters)

    def similar(
        self,
        photo: str | Path,
        top: int,
        tag: str | None = None,
        filters: Filters | None = None,
    ) -> list[Hit]:
        """Photos like `photo` (see Searcher.similar), with a tag and filters as `search`."""
        return self.finder.similar(photo, top, tag, filters)

    def browse(self, top: int, tag: str | None = None, filters: Filters | None = None) -> list[Hit]:
        """The indexed photos without a query, newest first (oldest first if `filters` ask
        for it), only those carrying `tag` if given and passing `filters`. A hit's score is
        NaN; its `taken` says when the photo was taken (its EXIF date, else its file's time)."""
        return self.finder.browse(top, tag, filters)

    def locate(
        self, photo: str | Path, query: str, max_side: int | None = None
    ) -> tuple[Image.Image, Heatmap]:
        """Where in `photo` the query matches: the photo (scaled down to `max_side`) and the
        heatmap of its patches' scores (core.search.locate), made with the whole model."""
        from PIL import Image

        image = load_query_photo(photo)
        if max_side is not None:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        vector = self.finder.query_vector(query)
        return image, locate(self.encoder(), image, vector)

    def describe(self, photo: str, top: int = 5) -> list[TagScore]:
        """The tags that best describe a photo (in the library or not), with probabilities."""
        vector, _ = self.searcher.photo_vector(photo)
        return self.tagger().describe(vector, top)

    def tag_counts(self) -> dict[str, int]:
        tagger = self.tagger()
        index = self.searcher.index
        index.refresh()
        if not len(index):
            return dict.fromkeys(tagger.names, 0)
        return counts([t for m in index.segments() for t in tagger.tags_of(m)], tagger.names)

    def photos_for_trash(self, photo_ids: Sequence[int]) -> list[Duplicate]:
        """The photos `photo_ids` as the trash's checks take them (core.search.duplicates)."""
        return photos_for_trash(self.store, photo_ids)

    def duplicates(
        self,
        threshold: float,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[list[Duplicate]]:
        """Groups of near-identical photos (core.search.duplicates.find_duplicates)."""
        return find_duplicates(self.store, self.model_name, threshold, progress, cancel)

    def duplicate_candidates(self, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """What `duplicates` groups, for grouping on another thread (group_rows) while this
        one answers searches; `describe_duplicates` turns the groups into photos."""
        return duplicate_candidates(self.store, self.model_name, threshold)

    def describe_duplicates(
        self, ids: np.ndarray, matrix: np.ndarray, groups: list[np.ndarray], threshold: float
    ) -> list[list[Duplicate]]:
        return describe_groups(self.store, ids, matrix, groups, threshold)

    def folders(self) -> list[str]:
        return self.store.folders()

    def excluded(self) -> list[str]:
        return self.store.excluded()

    def places(self) -> dict[str, int]:
        """Where the library's photos are: folders, mount points and linked folders, with
        the device each was last seen on (core.index.places)."""
        return self.store.places()

    def text_in(self, photo: str) -> PhotoText | None:
        """The words read in a library photo, with where they stand (None: not read)."""
        photo_id = self.store.photo_id(os.path.abspath(photo))
        return self.store.photo_text(photo_id) if photo_id is not None else None

    def where_taken(self, photo: str) -> tuple[float, float, PlaceKey] | None:
        """A library photo's position and the place it names (None: it holds no position)."""
        photo_id = self.store.photo_id(os.path.abspath(photo))
        return self.store.positions_of([photo_id]).get(photo_id) if photo_id else None

    def taken_places(self) -> list[tuple[PlaceKey, int]]:
        """Every place the library's photos were taken in, with how many photos each."""
        return self.store.where_taken()

    def counts(self) -> dict[str, int]:
        """Photos indexed, failed and pending for this library's model."""
        return self.store.counts(self.store.find_model(self.model_name))

    def all_paths(self) -> list[str]:
        """Every indexed photo's path."""
        return self.store.all_paths()

    def failures(self) -> list[tuple[str, str]]:
        """(path, reason) of every photo that could not be read."""
        return self.store.failures()

    def without_unavailable(self, hits: list[Hit]) -> tuple[list[Hit], list[str]]:
        """The hits whose place can be reached now, and the places that cannot (see
        core.index.places: an unplugged drive, an unmounted share, a link into one): their photos
        stay indexed, only hidden."""
        missing = not_here(check_places(self.store, self.store.folders()))
        if not missing:
            return hits, []
        kept = [h for h in hits if not any(is_within(h.path, f) for f in missing)]
        return kept, missing

    def add_folders(self, folders: list[str]) -> list[str]:
        """Remember folders (checked to exist first, so none is added if one is wrong)."""
        paths = [os.path.abspath(os.path.expanduser(f)) for f in folders]
        for given, path in zip(folders, paths, strict=True):
            if not os.path.isdir(path):
                raise FolderNotFoundError(f"folder not found: {given}")
        for path in paths:
            self.store.add_folder(path)
        return paths

    def remove_folder(self, path: str) -> int:
        """Take a folder out of the library, with the photos no other library folder holds
        (the files stay); returns how many. They leave searches and counts at once; their
        vectors are kept until the next index run over the whole library, so adding the
        folder back before then needs no encoding (see Store.remove_folder). A run of another
        process that is indexing the folder now records none of its photos after this (see
        Store.write)."""
        if path not in self.store.folders():
            raise FolderNotFoundError(f"not a library folder: {path}")
        return self.store.remove_folder(path)

    def folder_photos(self) -> dict[str, int]:
        """For each library folder, how many photos removing it would take out of the
        library: those below it that no other library folder holds."""
        folders = self.store.folders()
        below = self.store.photo_counts(folders)
        counts = {}
        for folder in folders:
            others = [f for f in folders if f != folder]
            if any(is_within(folder, f) for f in others):
                counts[folder] = 0
                continue
            inner = [f for f in others if is_within(f, folder)]
            outermost = [f for f in inner if not any(is_within(f, g) for g in inner if g != f)]
            counts[folder] = below[folder] - sum(below[f] for f in outermost)
        return counts

    def set_excluded(self, path: str, excluded: bool) -> None:
        """Leave a subfolder out of the index (its photos go at the next run), or not."""
        self.store.set_excluded(path, excluded)

    def index(
        self,
        cancel: threading.Event | None = None,
        settle_seconds: float = 0.0,
        wait_for_lock: bool = False,
        model_in_background: bool = False,
        only: Sequence[Scope] | None = None,
        text_setting: str = "auto",
    ) -> Iterator[IndexProgress]:
        """Bring the index up to date (see `index_library`; `only`: just these parts of the
        library, what a watcher saw change). Only one process indexes a library
        at a time: a second raises LibraryBusyError, or waits its turn with `wait_for_lock`.
        The model is loaded only once something needs encoding; with `model_in_background`
        on a thread of its own, while the run yields "loading" progress (the app answers
        queries between yields). Then the positions of photos indexed before positions were
        read, and the words in photos (`text_setting`, or PHOTOFIND_OCR: core.index.text_stage)."""
        mode = text_mode(text_setting)
        self._models.download_cancel = cancel
        with index_lock(self.data_dir, wait=wait_for_lock):
            final = None
            for progress in index_library(
                self.store,
                self.model_name,
                self.encoder_if_ready if model_in_background else self.encoder,
                self.store.folders(),
                excluded=self.store.excluded(),
                cancel=cancel,
                settle_seconds=settle_seconds,
                only=only,
            ):
                if progress.phase == "done":
                    final = progress
                else:
                    yield progress
            assert final is not None
            graph = self.searcher.approximate
            if graph is not None and not final.cancelled:
                # Minutes at a million photos: progress between chunks, during which the
                # caller may answer queries (from the exact index) or stop.
                for done, total in graph.bring_up_to_date():
                    yield IndexProgress("graph", done, total, 0.0, final.counts)
                    if cancel is not None and cancel.is_set():
                        break  # the photos are indexed; the next run builds the graph
            if not final.cancelled:
                yield from self._read_details(mode, final, cancel or threading.Event())
            yield final

    def _read_details(
        self, mode: str, final: IndexProgress, cancel: threading.Event
    ) -> Iterator[IndexProgress]:
        """What is read after encoding: old photos' positions, then words in photos (skipped
        when nothing was written since the last complete pass of this mode and model)."""
        yield from locate_old_photos(self.store, final.counts, cancel)
        model_id = self.store.find_model(self.model_name)
        checked = f"{mode}:{model_id}:{self.store.revision()}"
        if mode == "off" or model_id is None or self.store.texts_checked() == checked:
            return
        if mode == "auto":
            text = self.text_encoder
            counts = final.counts
            yield from judge_contents(
                self.store, model_id, lambda t: text().encode_texts(t), counts, cancel
            )
        yield from read_texts(self.store, mode == "all", final.counts, cancel)
        if not cancel.is_set():
            self.store.set_texts_checked(checked)

    def status(self) -> dict[str, object]:
        counts = self.store.counts(self.store.find_model(self.model_name))
        return {
            **counts,
            "folders": self.store.folders(),
            "model": self.model_name,
            "index": self.searcher.index_kind,
        }
