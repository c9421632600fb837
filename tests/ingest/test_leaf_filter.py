"""The leaf filter in front of the idempotence lookup: never a false "no"."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.ingest.leaves import LeafFilter


def _leaf(n: int) -> str:
    return hashlib.sha256(b"\x00" + n.to_bytes(8, "big")).hexdigest()


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(0, 10**9), max_size=300), st.integers(1, 5000))
def test_every_hash_added_is_a_maybe(added: set[int], expected: int) -> None:
    f = LeafFilter(expected)
    f.update(_leaf(n) for n in added)
    assert all(f.may_contain(_leaf(n)) for n in added)
    assert f.count == len(added)
    one_by_one = LeafFilter(expected)
    for n in added:
        one_by_one.add(_leaf(n))
    assert one_by_one._bits == f._bits and one_by_one.count == f.count


def test_new_hashes_are_mostly_a_certain_no_at_the_sized_fill() -> None:
    f = LeafFilter(20_000)
    f.update(_leaf(n) for n in range(20_000))
    maybes = sum(f.may_contain(_leaf(n)) for n in range(10**6, 10**6 + 20_000))
    assert maybes < 0.02 * 20_000  # about 1 % when full


def test_anything_but_hex_is_a_maybe() -> None:
    f = LeafFilter(10)
    assert f.may_contain("not a leaf hash")
    assert not f.may_contain(_leaf(1))
