"""The benches' lean HTTP/1.1 client, against a real socket server on 127.0.0.1.

The server here misbehaves on purpose: chunked answers, 503 with Retry-After,
connections dropped before the answer. Every body must still get exactly one
final answer, in its place.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator

import pytest

from saksi.sim import loadgen
from saksi.sim.loadgen import Answer, LoadError, post_all

Handler = Callable[[bytes, int], Awaitable[bytes | None]]  # (body, attempt) → raw answer


async def _serve(handler: Handler) -> tuple[asyncio.Server, int, Counter[bytes]]:
    attempts: Counter[bytes] = Counter()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                body = await reader.readexactly(length)
                attempts[body] += 1
                answer = await handler(body, attempts[body])
                if answer is None:  # drop the connection, unanswered
                    return
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], attempts


def _ok(body: bytes) -> bytes:
    payload = b'{"echo":"' + body + b'"}'
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)


def _run(handler: Handler, bodies: list[bytes], **kw: object
         ) -> tuple[list[Answer], list[int], Counter[bytes]]:
    async def main() -> tuple[list[Answer], list[int], Counter[bytes]]:
        server, port, attempts = await _serve(handler)
        seen: list[int] = []
        async with server:
            answers = await post_all("127.0.0.1", port, "/x", bodies,
                                     on_answer=lambda a: seen.append(a.position),
                                     **kw)  # type: ignore[arg-type]
        return answers, seen, attempts

    return asyncio.run(main())


def test_every_body_gets_its_own_answer_in_its_place() -> None:
    async def echo(body: bytes, attempt: int) -> bytes:
        await asyncio.sleep(0.001 * (body[-1] % 5))  # answers finish out of order
        return _ok(body)

    bodies = [b"tps-%03d" % i for i in range(200)]
    answers, seen, attempts = _run(echo, bodies, concurrency=16)
    assert [a.position for a in answers] == list(range(200))
    assert [a.body for a in answers] == [b'{"echo":"' + b + b'"}' for b in bodies]
    assert sorted(seen) == list(range(200))
    assert set(attempts.values()) == {1} and all(a.attempts == 1 for a in answers)


def test_chunked_answers_are_read_whole() -> None:
    async def chunked(body: bytes, attempt: int) -> bytes:
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n" + b"%x\r\n%s\r\n" % (len(body), body) + b"0\r\n\r\n")

    answers, _, _ = _run(chunked, [b"one", b"second body"], concurrency=1)
    assert [a.body for a in answers] == [b"abcone", b"abcsecond body"]


def test_busy_answers_and_dropped_connections_are_retried_until_answered() -> None:
    async def flaky(body: bytes, attempt: int) -> bytes | None:
        if body.startswith(b"busy") and attempt == 1:
            return b"HTTP/1.1 503 Busy\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n"
        if body.startswith(b"drop") and attempt <= 2:
            return None
        if body.startswith(b"slow") and attempt == 1:
            return b"HTTP/1.1 429 Slow down\r\nContent-Length: 0\r\n\r\n"
        return _ok(body)

    bodies = [b"busy-1", b"drop-1", b"fine", b"slow-1", b"drop-2"]
    answers, seen, attempts = _run(flaky, bodies, concurrency=2)
    assert [a.status for a in answers] == [200] * 5
    assert [a.attempts for a in answers] == [2, 3, 1, 2, 3]
    assert sorted(seen) == list(range(5))  # each reported once, after its last attempt
    assert attempts == Counter({b"busy-1": 2, b"drop-1": 3, b"fine": 1, b"slow-1": 2,
                                b"drop-2": 3})


def test_a_client_error_is_an_answer_not_a_retry() -> None:
    async def refuse(body: bytes, attempt: int) -> bytes:
        return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"

    answers, _, attempts = _run(refuse, [b"x"])
    assert answers[0].status == 400 and answers[0].body == b"bad"
    assert attempts[b"x"] == 1


def test_a_body_never_answered_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadgen, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr(loadgen, "BACKOFF_BASE", 0.001)

    async def always_busy(body: bytes, attempt: int) -> bytes:
        return b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"

    with pytest.raises(LoadError, match=r"after 3 attempts.*HTTP 503"):
        _run(always_busy, [b"x"])


def test_retry_after_is_honoured_and_backoff_is_capped() -> None:
    import random

    rng = random.Random(1)
    response = loadgen._Response(503, {b"retry-after": b"2"}, b"")
    assert 2.0 <= loadgen.retry_delay(response, 1, rng) <= 2.05
    for attempt in range(1, 40):
        delay = loadgen.retry_delay(None, attempt, rng)
        assert 0 < delay <= loadgen.BACKOFF_CAP


def test_the_get_hammer_counts_every_pipelined_answer() -> None:
    from saksi.sim.loadgen import hammer

    async def main() -> tuple[int, int, int]:
        served = 0

        async def connection(reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
            nonlocal served
            try:
                while True:
                    await reader.readuntil(b"\r\n\r\n")
                    served += 1
                    status = b"200 OK" if served % 3 else b"404 Not Found"
                    writer.write(b"HTTP/1.1 %s\r\nContent-Length: 2\r\n\r\nok" % status)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            finally:
                writer.close()

        server = await asyncio.start_server(connection, "127.0.0.1", 0)
        async with server:
            rate = await hammer(server.sockets[0].getsockname()[1], "/x", 4, 0.2, depth=3)
        assert rate.seconds > 0 and rate.per_second == rate.ok / rate.seconds
        return rate.ok, rate.errors, served

    ok, errors, served = asyncio.run(main())
    assert ok + errors == served and errors == served // 3 and ok > 0


def test_a_stream_of_bodies_is_sent_whole_and_answer_bodies_need_not_be_kept() -> None:
    async def echo(body: bytes, attempt: int) -> bytes:
        return _ok(body)

    taken: list[int] = []

    def stream() -> Iterator[bytes]:
        for i in range(300):
            taken.append(i)
            yield b"tps-%03d" % i

    async def main() -> tuple[list[Answer], list[bytes]]:
        server, port, _ = await _serve(echo)
        got: list[bytes] = []
        async with server:
            answers = await post_all("127.0.0.1", port, "/x", stream(), concurrency=8,
                                     on_answer=lambda a: got.append(a.body),
                                     keep_bodies=False)
        return answers, got

    answers, got = asyncio.run(main())
    assert taken == list(range(300))
    assert [a.position for a in answers] == list(range(300))
    assert {a.body for a in answers} == {b""} and {a.status for a in answers} == {200}
    assert sorted(got) == sorted(b'{"echo":"tps-%03d"}' % i for i in range(300))
