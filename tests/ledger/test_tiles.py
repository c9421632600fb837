"""Tile paths, widths and entry bundles (c2sp.org/tlog-tiles)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saksi.ledger.tiles import (
    decode_bundle,
    encode_bundle,
    encode_index,
    tile_path,
    tile_width,
    tiles_for_size,
)


@pytest.mark.parametrize(
    ("n", "path"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding(n: int, path: str) -> None:
    assert encode_index(n) == path


def test_tile_paths() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(2, 5, 17) == "tile/2/005.p/17"
    assert tile_path("entries", 0, 1) == "tile/entries/000.p/1"
    with pytest.raises(ValueError):
        tile_path(0, 0, 0)


def test_spec_example_size_70000() -> None:
    tiles = tiles_for_size(70_000)
    level0 = [t for t in tiles if t[0] == 0]
    assert len([t for t in level0 if t[2] == 256]) == 273
    assert [t for t in level0 if t[2] < 256] == [(0, 273, 112)]
    assert [t for t in tiles if t[0] == 1] == [(1, 0, 256), (1, 1, 17)]
    assert [t for t in tiles if t[0] == 2] == [(2, 0, 1)]
    assert tiles_for_size(256) == [(0, 0, 256), (1, 0, 1)]
    assert tile_width(0, 1, 256) == 0


@given(st.integers(0, 10**12))
def test_index_encoding_is_injective_and_shaped(n: int) -> None:
    parts = encode_index(n).split("/")
    assert all(p.startswith("x") and len(p) == 4 for p in parts[:-1])
    assert len(parts[-1]) == 3
    assert int("".join(p.lstrip("x") for p in parts)) == n


@given(st.lists(st.binary(max_size=300), max_size=40))
def test_bundle_round_trip(entries: list[bytes]) -> None:
    data = encode_bundle(entries)
    assert decode_bundle(data) == entries
    if data:
        with pytest.raises(ValueError):
            decode_bundle(data[:-1]) if entries[-1] else decode_bundle(data + b"\x00")


def test_bundle_limits() -> None:
    assert encode_bundle([b"a"]) == b"\x00\x01a"
    encode_bundle([b"x" * 65535])
    with pytest.raises(ValueError):
        encode_bundle([b"x" * 65536])
