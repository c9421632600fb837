"""The socket protocol between HTTP workers and the sequencer.

One frame = 4-byte big-endian length + msgpack body. A worker sends a
:class:`Request` — pre-checked documents to sequence, in the order the client
sent them, or names of public documents to render — and reads one
:class:`Response` on the same connection.
"""

from __future__ import annotations

import asyncio
import struct

import msgspec

from saksi.ingest.outcome import Item, Outcome, Published

MAX_FRAME = 16 * 1024 * 1024
_LEN = struct.Struct(">I")


class Request(msgspec.Struct, frozen=True):
    items: list[Item] = []
    documents: list[tuple[str, str]] = []  # (kind, key) of public documents to render


class Response(msgspec.Struct, frozen=True):
    outcomes: list[Outcome] = []
    busy: bool = False  # the sequencer's queue is full: try again later
    error: str | None = None  # the sequencer failed; nothing of this request was logged
    documents: list[Published | None] = []  # rendered, in the order of Request.documents


_request_decoder = msgspec.msgpack.Decoder(Request)
_response_decoder = msgspec.msgpack.Decoder(Response)
_encoder = msgspec.msgpack.Encoder()


def frame(message: Request | Response) -> bytes:
    body = _encoder.encode(message)
    return _LEN.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(_LEN.size)
    (size,) = _LEN.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes exceeds {MAX_FRAME}")
    return await reader.readexactly(size)


def decode_request(body: bytes) -> Request:
    return _request_decoder.decode(body)


def decode_response(body: bytes) -> Response:
    return _response_decoder.decode(body)
