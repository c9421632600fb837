"""An aggregate's sums are packed into one int, a 64-bit lane per count: adding the
packed ints adds every count, and a region's mask keeps its first lanes only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from saksi.tally.tally import _lanes, pack, unpack

lane = st.integers(0, 2**64 - 1)
small = st.integers(0, 10**9)  # a sheet's counts (CH rules)


@given(st.lists(lane, max_size=300))
def test_unpack_inverts_pack(counts: list[int]) -> None:
    assert unpack(pack(counts), len(counts)) == counts


@given(st.integers(1, 300).flatmap(lambda n: st.lists(st.lists(small, min_size=n, max_size=n),
                                                      min_size=1, max_size=40)))
def test_adding_packed_sheets_adds_every_count_and_subtracting_takes_it_out(
        sheets: list[list[int]]) -> None:
    width = len(sheets[0])
    total = sum(pack(s) for s in sheets)
    assert unpack(total, width) == [sum(col) for col in zip(*sheets, strict=True)]
    assert unpack(total - pack(sheets[0]), width) == [
        sum(col) - col[0] for col in zip(*sheets, strict=True)]


@given(st.lists(small, min_size=1, max_size=300), st.data())
def test_a_mask_keeps_the_first_lanes(counts: list[int], data: st.DataObject) -> None:
    width = data.draw(st.integers(1, len(counts)))
    masked = pack(counts) & _lanes(width)
    assert unpack(masked, width) == counts[:width]
    assert masked.bit_length() <= 64 * width
