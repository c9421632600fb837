"""Seat arithmetic: largest remainder, contiguous partition, repair."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from saksi.election.dapil import partition, repair
from saksi.election.dpt import largest_remainder

weights = st.lists(st.floats(0.01, 1000), min_size=1, max_size=40)


@given(st.integers(0, 10_000), weights)
def test_largest_remainder_hands_out_exactly_the_total(total: int, ws: list[float]) -> None:
    shares = largest_remainder(total, ws)
    assert sum(shares) == total
    whole = sum(ws)
    assert all(abs(s - total * w / whole) < 1 for s, w in zip(shares, ws, strict=True))


@given(st.lists(st.floats(0.1, 12), min_size=1, max_size=30), st.integers(1, 12))
def test_partition_yields_contiguous_nonempty_runs(quotas: list[float], groups: int) -> None:
    starts = partition(quotas, groups, 3, 12)
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    assert len(starts) == min(groups, len(quotas))


@given(st.lists(st.integers(0, 20), min_size=1, max_size=20))
def test_repair_keeps_the_total_and_fits_bounds_when_possible(seats: list[int]) -> None:
    fixed = repair(seats, 3, 12)
    assert sum(fixed) == sum(seats)
    if 3 * len(seats) <= sum(seats) <= 12 * len(seats):
        assert all(3 <= s <= 12 for s in fixed)
