"""A lean HTTP/1.1 load generator: ready-made POST bodies over keep-alive connections.

``saksi bench ingest`` measures the server with the load generator on the same
two cores. The simulated night (``saksi.sim.night``) is a faithful client —
it generates, signs and checks every sheet, through httpx — and spends more
CPU than the server it drives (about 1.3 ms per sheet in session 15, against
0.8 ms for the whole server). A bench that used it would measure the client.
This module sends bodies signed beforehand, writes requests and reads answers
on raw asyncio streams, and keeps what a client must: retries after 429/503
(honouring Retry-After) and after dropped connections, with capped backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

MAX_ATTEMPTS = 40
BACKOFF_BASE = 0.02  # seconds, doubled per attempt …
BACKOFF_CAP = 2.0  # … up to this
MAX_HEAD = 64 * 1024


class LoadError(Exception):
    """A body that could not be delivered, or an answer that is not HTTP/1.1."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The final answer to one body (after retries)."""

    position: int  # the body's place among those given to ``post_all``
    status: int
    body: bytes
    seconds: float  # the successful attempt: request written → answer read
    attempts: int


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


def request_head(host: str, path: str, length: int, content_type: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode("ascii")


async def read_response(reader: asyncio.StreamReader) -> _Response:
    """One HTTP/1.1 response: Content-Length or chunked body."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as exc:
        raise LoadError(f"response head over {MAX_HEAD} bytes") from exc
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise LoadError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise LoadError(f"malformed header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = await _chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return _Response(int(parts[1]), headers, body)


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    out = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return bytes(out)
        out += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise LoadError("chunk not followed by CRLF")


def retry_delay(response: _Response | None, attempt: int, rng: random.Random) -> float:
    """Retry-After (delta seconds) if the server gave one, else capped backoff with jitter."""
    if response is not None:
        value = response.headers.get(b"retry-after")
        with contextlib.suppress(ValueError):
            if value is not None and float(value) >= 0:
                return float(value) + rng.uniform(0, 0.05)
    step: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(attempt, 20))
    return step / 2 + rng.uniform(0, step / 2)


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> _Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=MAX_HEAD)
        assert self.reader is not None
        self.writer.write(request)
        response = await read_response(self.reader)
        if response.headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return response

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def post_all(host: str, port: int, path: str, bodies: Iterable[bytes], *,
                   concurrency: int = 64, content_type: str = "application/json",
                   on_answer: Callable[[Answer], None] | None = None, seed: int = 0,
                   keep_bodies: bool = True) -> list[Answer]:
    """POST every body once answered (2xx or 4xx other than 429), ``concurrency``
    keep-alive connections at a time; the answers in the bodies' order.

    ``bodies`` may be a stream: each is taken when a connection is free for it,
    so a night of millions of requests need not be in memory at once. Without
    ``keep_bodies`` the returned answers leave out the response bodies (a
    national night's are gigabytes); ``on_answer`` still gets each whole.

    Raises ``LoadError`` for a body still unanswered after ``MAX_ATTEMPTS``."""
    answers: list[Answer] = []
    todo: Iterator[tuple[int, bytes]] = enumerate(bodies)
    rng = random.Random(seed)

    async def one(conn: _Connection, position: int, body: bytes) -> Answer:
        request = request_head(host, path, len(body), content_type) + body
        response: _Response | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            start = time.perf_counter()
            try:
                response = await conn.exchange(request)
            except (OSError, asyncio.IncompleteReadError, LoadError, ValueError):
                conn.close()
                response = None
            else:
                if response.status != 429 and response.status < 500:
                    return Answer(position, response.status, response.body,
                                  time.perf_counter() - start, attempt)
            await asyncio.sleep(retry_delay(response, attempt, rng))
        raise LoadError(f"body {position}: no answer after {MAX_ATTEMPTS} attempts"
                        + ("" if response is None else f" (last: HTTP {response.status})"))

    async def worker() -> None:
        # Connections open on their first request: more workers than bodies
        # cost nothing.
        conn = _Connection(host, port)
        try:
            for position, body in todo:  # one shared iterator: each body is taken once
                answer = await one(conn, position, body)
                if on_answer is not None:
                    on_answer(answer)
                answers.append(answer if keep_bodies else replace(answer, body=b""))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    answers.sort(key=lambda a: a.position)
    return answers


@dataclass(frozen=True, slots=True)
class GetRate:
    """What ``hammer`` counted."""

    ok: int  # 200 answers
    errors: int  # any other status
    seconds: float

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


async def hammer(port: int, path: str, connections: int, seconds: float, depth: int = 8
                 ) -> GetRate:
    """``GET path`` for ``seconds`` over ``connections`` keep-alive connections,
    ``depth`` requests pipelined on each (so that the client stays cheap)."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode() * depth
    ok = errors = 0
    stop = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal ok, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=MAX_HEAD)
        try:
            while time.perf_counter() < stop:
                writer.write(request)
                for _ in range(depth):
                    # (awaited first: ``ok += await …`` would read ``ok`` before
                    # the await and lose the other connections' counts)
                    good = (await read_response(reader)).status == 200
                    ok += good
                    errors += not good
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return GetRate(ok, errors, time.perf_counter() - start)


__all__ = ["Answer", "GetRate", "LoadError", "hammer", "post_all", "read_response",
           "request_head", "retry_delay"]
