"""What an index run reports as it goes: its phase, how far it is, and what it did."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IndexCounts:
    encoded: int = 0  # run through the model
    reused: int = 0  # vector taken from identical content already indexed
    removed: int = 0  # files gone from the library's folders
    failed: int = 0  # unreadable as photos
    unchanged: int = 0  # skipped: same size and modification time as indexed
    deferred: int = 0  # still being written; picked up by a later run
    texts: int = 0  # photos whose text was read (core.index.text_stage)

    def as_dict(self) -> dict[str, int]:
        return {
            "encoded": self.encoded,
            "reused": self.reused,
            "removed": self.removed,
            "failed": self.failed,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class IndexProgress:
    phase: str  # "scanning", "loading" (the model, before encoding), "indexing" or "done"
    done: int  # files scanned (scanning) or photos processed (indexing)
    total: int  # photos to process; 0 while scanning
    rate: float  # photos processed per second in the indexing phase
    counts: IndexCounts = field(default_factory=IndexCounts)
    cancelled: bool = False

    @property
    def eta_seconds(self) -> float | None:
        if self.phase not in ("indexing", "texts") or self.rate <= 0:
            return None
        return (self.total - self.done) / self.rate
