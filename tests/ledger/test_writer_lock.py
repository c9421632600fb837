"""Exactly one process (or Log object) writes a log at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from saksi.errors import StateError
from saksi.ledger import Log
from saksi.ledger.log import published_vkey


def test_a_second_writer_is_refused_while_the_first_is_open(tmp_path: Path) -> None:
    with Log.create(tmp_path, origin="example.org/lock-test"):
        with pytest.raises(StateError, match="another process"):
            Log.open(tmp_path)
        with Log.open(tmp_path, readonly=True) as reader:  # readers are never blocked
            assert reader.size == 0


def test_the_lock_is_released_on_close(tmp_path: Path) -> None:
    Log.create(tmp_path, origin="example.org/lock-test").close()
    with Log.open(tmp_path) as log:
        assert log.append(b"after reopen") == 0


def test_entries_streams_any_range_in_order(tmp_path: Path) -> None:
    data = [f"entry {i}".encode() * (i % 7 + 1) for i in range(700)]
    with Log.create(tmp_path, origin="example.org/stream-test") as log:
        log.append_many(data)
        assert list(log.entries()) == data
        for start, end in [(0, 0), (0, 1), (255, 257), (256, 512), (300, 700), (699, 700)]:
            assert list(log.entries(start, end)) == data[start:end]
        with pytest.raises(ValueError):
            list(log.entries(10, 701))


def test_a_new_log_publishes_its_verifier_key_beside_the_tiles(tmp_path: Path) -> None:
    with Log.create(tmp_path, origin="example.org/vkey-test") as log:
        assert (tmp_path / "log" / "vkey").read_text() == log.vkey + "\n"
        assert published_vkey(tmp_path) == log.vkey
