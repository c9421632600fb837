"""Forked worker processes for the verifier's one pass, their results read in order
by the thread that consumes them.

Why not ``multiprocessing.Pool``: its result thread unpickles every result and hands
it over under the GIL, and its worker-handler thread also waits on the result pipe, so
it wakes and loops whenever a result sits there unread. On a national night that was
2-3 % of a core spinning beside a parent that is itself the run's sequential part.
Here the parent reads a worker's pipe itself when it wants the next result (and takes
whatever else is ready on the way), and no thread is started.

Each worker answers its tasks in the order it got them; a worker is given its next task
as soon as it hands back a result, ``ahead`` tasks at a time, so neither idles while
the other finishes the task the parent waits for."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import struct
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerError(RuntimeError):
    """A worker raised an exception that could not be sent back as itself."""


class WorkerLost(RuntimeError):
    """A worker exited (killed, out of memory) before answering."""


class OrderedPool(Generic[T, R]):
    """``n`` forked processes running ``fn``; ``imap`` yields results in task order."""

    def __init__(self, n: int, fn: Callable[[T], R], ahead: int = 2) -> None:
        ctx = multiprocessing.get_context("fork")
        pipes = [ctx.Pipe() for _ in range(n)]
        self._conns: list[Connection] = [mine for mine, _ in pipes]
        self._ahead = max(1, ahead)
        self._procs: list[Any] = []
        try:
            for i in range(n):
                # a child keeps only its own end: the parent's ends must close with the
                # parent, so that a worker whose parent is gone reads EOF and exits
                others = [c for j, (mine, theirs) in enumerate(pipes)
                          for c in ((mine, theirs) if j != i else (mine,))]
                p = ctx.Process(target=_serve, args=(pipes[i][1], fn, others), daemon=True)
                p.start()
                self._procs.append(p)
        except BaseException:
            self.terminate()
            raise
        for _, theirs in pipes:
            theirs.close()

    def imap(self, tasks: Sequence[T]) -> Iterator[R]:
        conns = self._conns
        inbox = _Inbox()
        pending: list[deque[int]] = [deque() for _ in conns]  # each worker's tasks, in order
        done: dict[int, tuple[bool, Any]] = {}  # (ok, result or exception)
        following = 0

        def give(w: int) -> None:
            nonlocal following
            if following < len(tasks):
                try:
                    conns[w].send(tasks[following])
                except OSError:  # a broken pipe
                    raise WorkerLost(f"worker {w} exited before answering") from None
                pending[w].append(following)
                following += 1

        def take(w: int) -> None:
            try:
                answer = inbox.read(conns[w])
            except (EOFError, OSError):
                raise WorkerLost(f"worker {w} exited before answering") from None
            done[pending[w].popleft()] = answer
            give(w)

        for _ in range(self._ahead):
            for w in range(len(conns)):
                give(w)
        for index in range(len(tasks)):
            while index not in done:  # a worker holds it: read whatever is ready
                for conn in wait([conns[w] for w, q in enumerate(pending) if q]):
                    assert isinstance(conn, Connection)
                    take(conns.index(conn))
            ok, value = done.pop(index)
            if not ok:  # raised where its task's result would have come
                raise value
            yield value

    def close(self) -> None:
        """Ask each worker to stop after its tasks, and wait for it."""
        for conn in self._conns:
            with contextlib.suppress(OSError):  # a worker already gone
                conn.send(None)
        for p in self._procs:
            p.join()
        self._release()

    def terminate(self) -> None:
        for p in self._procs:
            if p.is_alive():
                p.terminate()
        for p in self._procs:
            p.join()
        self._release()

    def _release(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns = []
        self._procs = []

    def __enter__(self) -> OrderedPool[T, R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.terminate()


class _Inbox:
    """Reads what ``Connection.send`` wrote (a "!i" length, or -1 and a "!Q" length, then
    the pickle) into one reused buffer. ``Connection.recv`` reads a message in chunks of
    a socket buffer each, and allocates each chunk at the size of all that remains: for
    a worker's result of several MB, an mmap, page faults and an munmap per chunk. The
    national night's parent read 8 GB of results so (taken in a test: a third of the
    system time and a fifth of the user time of receiving, a tenth of the page faults)."""

    def __init__(self) -> None:
        self._buffer = bytearray(1 << 20)

    def read(self, conn: Connection) -> Any:
        fd = conn.fileno()
        size = _LENGTH.unpack(_exact(fd, 4))[0]
        if size == -1:
            size = _LONG_LENGTH.unpack(_exact(fd, 8))[0]
        if size > len(self._buffer):
            self._buffer = bytearray(size + (size >> 2))
        with memoryview(self._buffer) as view:
            _fill(fd, view[:size])
            return pickle.loads(view[:size])  # noqa: S301 (our own workers' results)


_LENGTH = struct.Struct("!i")
_LONG_LENGTH = struct.Struct("!Q")


def _exact(fd: int, n: int) -> bytes:
    with memoryview(bytearray(n)) as view:
        _fill(fd, view)
        return view.tobytes()


def _fill(fd: int, view: memoryview) -> None:
    got = 0
    while got < len(view):
        n = os.readv(fd, [view[got:]])
        if n == 0:
            raise EOFError("a worker's pipe closed inside a message")
        got += n


def _serve(conn: Connection, fn: Callable[[Any], Any], others: list[Connection]) -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for c in others:
        c.close()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        try:
            answer: tuple[bool, Any] = (True, fn(task))
        except Exception as exc:
            answer = (False, exc)
        try:
            conn.send(answer)
        except Exception:
            conn.send((False, WorkerError("".join(traceback.format_exc()))))
    conn.close()
    os._exit(0)
