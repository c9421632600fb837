"""The sequencer's socket server and group commit.

HTTP workers connect to a Unix socket under ``DIR/run/`` and send pre-checked
batches. Requests arriving within ``batch_ms`` of each other are sequenced
together — one log append, one database transaction — on one thread, so the
event loop keeps accepting while a batch is being made durable. Batches are
pipelined: while the log makes one durable, the next is checked and queued
(up to ``PIPELINE_DEPTH`` in flight; while one is, a batch gathers requests
for ``BUSY_BATCH_MS``, since the log's cost is mostly per batch). Each is
answered once its entries are durable and indexed, in order. The queue is
bounded: when more than ``max_queue`` documents wait, a request is answered
``busy`` at once (the worker turns it into 503 + Retry-After) instead of
making every client wait longer.

Requests for public documents run on the same thread as the batches (the
tally must not change while a document is rendered from it), between two
batches, and are never refused as busy: readers are served even while the
queue of submissions is full.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from saksi.ingest.outcome import Item, Outcome
from saksi.ingest.sequencer import Sequencer, Ticket
from saksi.service.wire import Response, decode_request, frame, read_frame

SOCKET_NAME = "sequencer.sock"
# Batches begun and not yet answered: while the log makes one durable, the
# next ones are checked, and the log writes those queued meanwhile as one.
PIPELINE_DEPTH = 4
# How long a batch gathers requests while another is in flight (``batch_ms``
# when none is): the log is busy anyway, and every batch costs the log ~8 ms
# of CPU (mostly fsyncs) whatever its size — at 70 sheets a batch that was
# 120 us a sheet, at 1,000 under 30.
BUSY_BATCH_MS = 50.0


def socket_path(directory: Path) -> Path:
    return Path(directory) / "run" / SOCKET_NAME


@dataclass
class _Pending:
    items: list[Item]
    future: asyncio.Future[list[Outcome]]


# A batch begun and not yet answered: its requests, its ticket, its documents.
_InFlight = tuple[list[_Pending], Ticket, int]


class SequencerServer:
    def __init__(self, sequencer: Sequencer, path: Path, *, batch_ms: float = 5.0,
                 max_batch: int = 1024, max_queue: int = 4096,
                 depth: int = PIPELINE_DEPTH, busy_batch_ms: float = BUSY_BATCH_MS) -> None:
        self.sequencer = sequencer
        self.path = Path(path)
        self.batch_ms = batch_ms
        self.max_batch = max_batch
        self.max_queue = max_queue
        self.depth = max(1, depth)
        self.busy_batch_ms = max(batch_ms, busy_batch_ms)
        self._in_flight = 0  # batches begun and not yet answered
        self.failed: BaseException | None = None
        self.on_fail: Callable[[], None] | None = None  # e.g. stop the HTTP server
        self._queued_docs = 0
        self._queue: asyncio.Queue[_Pending] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="saksi-sequence")
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = threading.Event()

    # ------------------------------------------------------------ running
    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._stop = asyncio.Event()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a killed predecessor
        server = await asyncio.start_unix_server(self._handle, path=str(self.path))
        batcher = asyncio.create_task(self._batcher())
        self.ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            batcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await batcher
            self._executor.shutdown(wait=True)
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def run_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=lambda: asyncio.run(self.run()),
                                  name="saksi-sequencer", daemon=True)
        thread.start()
        self.ready.wait(30)
        return thread

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)

    # ------------------------------------------------------------ protocol
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                      ) -> None:
        try:
            while True:
                try:
                    body = await read_frame(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                response = await self._answer(body)
                writer.write(frame(response))
                await writer.drain()
        except (ConnectionError, ValueError):
            return
        finally:
            writer.close()

    async def _answer(self, body: bytes) -> Response:
        if self.failed is not None:
            return Response(error=f"sequencer failed: {self.failed}")
        try:
            request = decode_request(body)
        except Exception as exc:  # a bad frame from a worker: answer, do not die
            return Response(error=f"bad request frame: {exc}")
        assert self._queue is not None and self._loop is not None
        if request.documents:
            try:
                documents = await self._loop.run_in_executor(
                    self._executor, self.sequencer.documents, request.documents)
            except Exception as exc:
                return Response(error=f"render failed: {exc}")
            return Response(documents=documents)
        n = len(request.items)
        if self._queued_docs + n > self.max_queue:
            return Response(busy=True)
        future: asyncio.Future[list[Outcome]] = self._loop.create_future()
        self._queued_docs += n
        await self._queue.put(_Pending(request.items, future))
        try:
            return Response(outcomes=await future)
        except Exception as exc:
            return Response(error=str(exc))

    async def _batcher(self) -> None:
        """Take queued requests as batches and begin them (checks, queued to the
        log); ``_finisher`` answers them once durable. Up to ``depth`` batches
        are in flight, so the next batch is checked while the log makes the
        previous one durable."""
        assert self._queue is not None and self._loop is not None
        queue, loop = self._queue, self._loop
        finishing: asyncio.Queue[_InFlight] = asyncio.Queue()
        slots = asyncio.Semaphore(self.depth)
        finisher = asyncio.create_task(self._finisher(finishing, slots))
        try:
            while True:
                first = await queue.get()
                window = self.busy_batch_ms if self._in_flight else self.batch_ms
                deadline = loop.time() + window / 1000.0
                await slots.acquire()  # meanwhile more requests queue up
                batch = [first]
                count = len(first.items)
                while count < self.max_batch:
                    if queue.empty():
                        timeout = deadline - loop.time()
                        if timeout <= 0:
                            break
                        try:
                            nxt = await asyncio.wait_for(queue.get(), timeout)
                        except TimeoutError:
                            break
                    else:
                        nxt = queue.get_nowait()
                    batch.append(nxt)
                    count += len(nxt.items)
                items = [it for p in batch for it in p.items]
                try:
                    ticket = await loop.run_in_executor(self._executor, self.sequencer.begin,
                                                        items)
                except BaseException as exc:
                    self._queued_docs -= count
                    self._fail(exc, [batch] + [b for b, _, _ in _drain(finishing)])
                    return
                self._in_flight += 1
                finishing.put_nowait((batch, ticket, count))
        finally:
            finisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await finisher

    async def _finisher(self, finishing: asyncio.Queue[_InFlight],
                        slots: asyncio.Semaphore) -> None:
        assert self._loop is not None
        loop = self._loop
        while True:
            batch, ticket, count = await finishing.get()
            try:
                # Wait for the log here, not on the sequencer's thread: it stays
                # free to begin the next batch and to render documents.
                await asyncio.wait([asyncio.wrap_future(ticket.durable)])
                outcomes = await loop.run_in_executor(self._executor, self.sequencer.finish,
                                                      ticket)
            except BaseException as exc:
                self._fail(exc, [batch] + [b for b, _, _ in _drain(finishing)])
                return
            finally:
                self._queued_docs -= count
                self._in_flight -= 1
                slots.release()
            start = 0
            for p in batch:
                end = start + len(p.items)
                if not p.future.done():
                    p.future.set_result(outcomes[start:end])
                start = end

    def _fail(self, exc: BaseException, batches: list[list[_Pending]]) -> None:
        # State may be half-applied (log appended, database not): the only safe
        # continuation is a restart, which replays the log tail.
        self.failed = exc
        for batch in batches:
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(RuntimeError(f"sequencer failed: {exc}"))
        print(f"saksi: sequencer gagal / sequencer failed: {exc!r}", file=sys.stderr)
        assert self._stop is not None
        self._stop.set()
        if self.on_fail is not None:
            self.on_fail()


def _drain(q: asyncio.Queue[_InFlight]) -> list[_InFlight]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out
