"""A published log's entries read by index from its directory, by a process
that does not write it (an HTTP worker).

The results database indexes documents but does not keep their signed bytes
(``saksi.store.base``): the log's entry bundles are the one copy. A reader
takes the tree size from the published checkpoint, which the writer replaces
only after the bundles it covers are durable, and reads through
``TileReader``, which falls back to the full bundle when a partial one it
wanted was tidied away. Every document the database indexes lies below the
published size: the sequencer indexes an entry only once the log has
published a checkpoint covering it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from saksi.errors import NotFoundError, StateError
from saksi.ledger.checkpoint import Checkpoint
from saksi.ledger.note import NoteError
from saksi.ledger.tiles import TILE_WIDTH, TileReader, decode_bundle, tile_width

CHECKPOINT_FILE = "checkpoint"


def published_text(log_dir: Path) -> str:
    """The published checkpoint note, as served under /log/checkpoint."""
    return (Path(log_dir) / CHECKPOINT_FILE).read_text(encoding="utf-8")


def published_size(text: str) -> int:
    """The tree size of a published checkpoint note (its body's second line)."""
    body = text.split("\n\n", 1)[0] + "\n"
    try:
        return Checkpoint.parse_text(body).size
    except NoteError as exc:
        raise StateError(f"checkpoint log rusak: {exc}",
                         f"the log's checkpoint is damaged: {exc}") from None


class PublishedEntries:
    """Entries of the log under ``log_dir`` as of its published checkpoint.

    The last bundle read stays decoded: a TPS's sheets mostly share one, and
    a download reads a contest's sheets in log order, each bundle once."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = Path(log_dir)
        # The last bundle is kept decoded (below): the reader need not also
        # keep its bytes (about 1 MB for 256 sheets).
        self._reader = TileReader.for_dir(self._log_dir, cache_tiles=1)
        self._size = 0  # a published size seen: the log only grows
        self._bundle: tuple[int, list[bytes]] = (-1, [])
        self._lock = threading.Lock()

    def size(self) -> int:
        """The published size now (read from the checkpoint file)."""
        size = published_size(published_text(self._log_dir))
        self._size = max(self._size, size)
        return size

    def entry(self, index: int) -> bytes:
        """The exact bytes of entry ``index``; NotFoundError beyond the log."""
        if index >= self._size:
            self.size()
        size = self._size
        if not 0 <= index < size:
            raise NotFoundError("index", index, "indeks di luar log",
                                f"index outside the published log of size {size}")
        n, pos = divmod(index, TILE_WIDTH)
        with self._lock:
            held_n, bundle = self._bundle
            if held_n != n or pos >= len(bundle):
                width = tile_width(0, n, size)
                bundle = decode_bundle(self._reader.tile("entries", n, width))
                if len(bundle) != width:
                    raise StateError("bundel entri log rusak",
                                     f"entry bundle {n} holds {len(bundle)} entries, "
                                     f"not {width}")
                self._bundle = (n, bundle)
            return bundle[pos]


__all__ = ["PublishedEntries", "published_size", "published_text"]
