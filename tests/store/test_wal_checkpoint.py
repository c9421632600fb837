"""SQLite's write-ahead log is checkpointed beside the writer, never inside
one of its commits, and nothing committed is lost by it."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from test_store import doc

from saksi.store import Batch, open_store


def test_the_writer_never_checkpoints_and_the_thread_does(tmp_path: Path) -> None:
    path = tmp_path / "saksi.sqlite"
    store = open_store(f"sqlite://{path}")
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None
        checkpointer.interval = 0.05
        for i in range(0, 400, 50):
            store.commit(Batch(i + 50, documents=[doc(j, reason="x" * 3000)
                                                  for j in range(i, i + 50)]))
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.checkpoints >= 2
        # Everything the WAL held has reached the database file.
        probe = sqlite3.connect(path)
        busy, wal_frames, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        probe.close()
        assert busy == 0 and copied == wal_frames
    finally:
        store.close()
    assert not checkpointer._thread.is_alive()
    readonly = open_store(f"sqlite://{path}", readonly=True)
    try:
        assert readonly.checkpointer is None
        assert readonly.count_documents() == 400 and readonly.applied_size() == 400
    finally:
        readonly.close()
