"""SQLite WAL checkpoints beside the writer, not inside its commits.

A checkpoint copies the write-ahead log back into the database file and
fsyncs it. Left to SQLite's automatic checkpoint, the sequencer's commit that
crosses the threshold does it: at national scale (a 2 GB index) one commit in
six stalled for a quarter of a second. Here the writer's connection never
checkpoints; a thread with its own connection runs a PASSIVE checkpoint every
``interval`` seconds — PASSIVE never blocks the writer, it copies what it can,
and the writer starts the WAL over once everything is copied.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Final

CHECKPOINT_SECONDS: Final = 1.0


class Checkpointer:
    """A daemon thread checkpointing one SQLite database until :meth:`close`."""

    def __init__(self, path: str, interval: float = CHECKPOINT_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0  # completed passes (for tests and diagnostics)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="saksi-wal-checkpoint",
                                        daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=10.0)
        try:
            while not self._stop.wait(self.interval):
                self._checkpoint(conn)
            self._checkpoint(conn)  # what the last commits left
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error:
            # Busy or closing: the next pass (or SQLite on the last close)
            # copies the frames; nothing is lost by skipping one.
            pass

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


__all__ = ["CHECKPOINT_SECONDS", "Checkpointer"]
