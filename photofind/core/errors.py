"""Typed errors raised by the core. Front ends turn them into messages; the core never prints."""

from __future__ import annotations


class PhotofindError(Exception):
    """Base of every error a user can cause or fix; its message is one readable line."""


class ModelLoadError(PhotofindError):
    """The CLIP model could not be loaded (offline first run, wrong folder, unsupported model).

    `offline` marks the case a front end words for its own users: the model is not on this
    computer yet and the hub cannot be reached (the message names the CLI's way out)."""

    def __init__(self, message: str, *, offline: bool = False) -> None:
        super().__init__(message)
        self.offline = offline


class FolderNotFoundError(PhotofindError):
    """A folder given by the user does not exist or is not a folder."""


class PhotoLoadError(PhotofindError):
    """A file could not be read as a photo; the message is the reason recorded for it."""


class FileChangedError(PhotoLoadError):
    """The file changed while it was read (it is still being written): read it again later."""


class FileVanishedError(PhotoLoadError):
    """The file was deleted or moved away between being found and being read."""


class SchemaError(PhotofindError):
    """The library database cannot be used by this version of photofind."""


class LibraryBusyError(PhotofindError):
    """Another process is indexing this library right now."""


class QueryError(PhotofindError):
    """A search query cannot be run (empty text, query photo unreadable, nothing indexed)."""


class FilterError(PhotofindError):
    """A search filter cannot be used as given (a malformed date, an unknown file type…)."""


class SettingError(PhotofindError):
    """A setting (or the environment variable standing for it) has a value it cannot take."""


class DownloadError(ModelLoadError):
    """The model could not be downloaded from the Hugging Face hub (network, missing repo)."""


class DownloadCancelled(ModelLoadError):
    """The model download was cancelled; what was downloaded is kept and the next try resumes."""


class TextReadError(PhotofindError):
    """The text in a photo could not be read: the text reader would not start or failed."""


class OptionalDependencyError(PhotofindError):
    """A feature was asked for whose optional package is not installed; the message names the
    pip command that installs it (for example the approximate index's `photofind[ann]`)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception as one short line for a message: its first line, or its type's name."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]
