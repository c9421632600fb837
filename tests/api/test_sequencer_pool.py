"""An HTTP worker reuses its connections to the sequencer, and never a closed one."""

from __future__ import annotations

import asyncio
from pathlib import Path

from saksi.api.app import ApiConfig, _forward, _State
from saksi.ingest.outcome import Item, Receipt
from saksi.service.wire import Response, decode_request, frame, read_frame


def test_connections_are_reused_and_a_closed_one_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    opened: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(writer)
        try:
            while True:
                request = decode_request(await read_frame(reader))
                outcomes = [Receipt(i, it.leaf_hash, "t", "clean")
                            for i, it in enumerate(request.items)]
                writer.write(frame(Response(outcomes=list(outcomes))))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def scenario() -> None:
        server = await asyncio.start_unix_server(handle, path=str(path))
        state = _State(ApiConfig(tmp_path, "sqlite:///unused", path))
        item = Item(b"{}", "ab" * 32)
        for _ in range(3):
            out = await _forward(state, [item])
            assert out == [Receipt(0, "ab" * 32, "t", "clean")]
        assert len(opened) == 1  # one connection carried all three
        opened[0].close()  # the sequencer drops it (e.g. restarted)
        await asyncio.sleep(0.05)
        assert await _forward(state, [item, item]) == [
            Receipt(0, "ab" * 32, "t", "clean"), Receipt(1, "ab" * 32, "t", "clean")]
        assert len(opened) == 2
        state.close()
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())
