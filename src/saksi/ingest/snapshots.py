"""Tally snapshots taken beside the sequencer, in a forked child.

A snapshot holds every (TPS, contest) the tally has seen: at national scale
tens to hundreds of MB, and encoding one took the sequencer's thread 0.7 s at
60,000 slots on a quiet machine and 3 s under load — a stall every client
waiting for a receipt felt (session 15: request p99 3.6 s). A forked child
has a copy-on-write image of the tally as it was between two batches, so it
encodes and stores that state while the sequencer goes on; the sequencer pays
only the fork (22–40 ms for a sequencer of 1.2 GB).

The child opens its own connection (nothing the parent holds is used after
the fork: not its database connection, locks or threads), stores the
snapshot in its own transaction (``Store.save_snapshot``: never over a newer
one) and leaves with ``os._exit``, running none of the parent's exit
handlers. At most one child runs at a time. Where ``os.fork`` does not exist
the snapshot is taken in place, as before.

A fork copies only the forking thread. Should another thread of the parent
hold a lock the child then needs (SQLite's allocator mutex, say, taken by
the WAL checkpoint thread at that instant), the child would wait forever: so
it runs under an alarm (``CHILD_SECONDS``) that ends it, and the parent, when
it closes, waits for it at most ``CLOSE_WAIT_SECONDS`` before killing it. A
child that dies stores nothing (its transaction is atomic): the next snapshot
is simply taken later.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from saksi.store import open_store
from saksi.tally import Tally

# A child still running after this long is stuck (a national snapshot of the
# 500,000 slots the cap allows takes well under a minute): it is ended.
CHILD_SECONDS = 600
CLOSE_WAIT_SECONDS = 120.0


class BackgroundSnapshots:
    """Takes snapshots of one tally into the store at ``url``, one at a time."""

    def __init__(self, url: str, child_seconds: int = CHILD_SECONDS) -> None:
        self.url = url
        self.child_seconds = child_seconds
        self._pid: int | None = None
        self._started = 0.0
        self.failures = 0  # children that did not store their snapshot
        self.last_seconds: float | None = None  # how long the last child took

    @property
    def running(self) -> bool:
        self.poll()
        return self._pid is not None

    def start(self, tally: Tally) -> bool:
        """Begin a snapshot of ``tally`` as it is now; False if one is running
        (or, without ``fork``, after taking it in place)."""
        if self.running:
            return False
        if not hasattr(os, "fork"):  # pragma: no cover - Windows
            self._store(tally)
            return False
        sys.stdout.flush()
        sys.stderr.flush()
        self._started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (its exit code is tested)
            code = 1
            try:
                # The parent's handlers (uvicorn's) are not the child's: a stop
                # of the process group, or the alarm, just ends it.
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
                    signal.signal(sig, signal.SIG_DFL)
                signal.alarm(self.child_seconds)
                self._store(tally)  # (not stored only if a newer one already is)
                code = 0
            finally:
                os._exit(code)
        self._pid = pid
        return True

    def _store(self, tally: Tally) -> bool:
        """Encode and store the snapshot; False if the stored one is as recent."""
        data = tally.snapshot()
        # Opened as a reader (no migration, no checkpoint thread: the parent
        # owns both), it still writes the one state row.
        store = open_store(self.url, readonly=True)
        try:
            return store.save_snapshot(tally.as_of_index + 1, data)
        finally:
            store.close()

    def poll(self) -> None:
        """Reap a finished child, if any."""
        if self._pid is None:
            return
        with contextlib.suppress(ChildProcessError):
            pid, status = os.waitpid(self._pid, os.WNOHANG)
            if pid == 0:
                return
            self._reaped(status)
            return
        self._pid = None  # reaped elsewhere

    def wait(self, timeout: float = CLOSE_WAIT_SECONDS) -> None:
        """Wait for a running child to finish; past ``timeout``, kill it."""
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.01)
        pid = self._pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(pid, 0)
            self._reaped(status)
            return
        self._pid = None

    def _reaped(self, status: int) -> None:
        self._pid = None
        self.last_seconds = time.monotonic() - self._started
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            self.failures += 1


__all__ = ["BackgroundSnapshots"]
