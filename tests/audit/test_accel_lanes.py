"""The C accelerator's lane sums against the Python reference.

The tally keeps each desa's sums as little-endian uint64 lanes (``sheet.pack``'s form)
and adds or takes out a sheet version in place (``_accel.add_lanes``); the reference
(``sheet.add_lanes_py``) adds them as integers. Both must end with the same bytes for
any sequence of additions, and of subtractions of what was added."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.audit.sheet import add_lanes_py, pack, unpack

sys.path.insert(0, str(Path(__file__).parent))
from audit_support import accel_module

_accel = accel_module()

lanes = st.lists(st.integers(0, 10**9), min_size=0, max_size=40).map(
    lambda v: pack((0, 0, 0, 0, 0), v, [], [])[40:] if v else b"")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(lanes, st.booleans()), max_size=30))
def test_sums_in_place_equal_the_integer_sums(steps: list[tuple[bytes, bool]]) -> None:
    native, reference = bytearray(), bytearray()
    added: list[bytes] = []
    for values, take_out in steps:
        if take_out and added:  # take out something added before, as a superseded version
            values = added.pop()
            _accel.add_lanes(native, values, True)
            add_lanes_py(reference, values, True)
        else:
            added.append(values)
            _accel.add_lanes(native, values, False)
            add_lanes_py(reference, values, False)
        assert native == reference
    kept = [sum(col) for col in zip(*(unpack(v.ljust(len(native), b"\0")) for v in added),
                                    strict=True)] if added else []
    assert unpack(bytes(native)) == kept + [0] * (len(native) // 8 - len(kept))


def test_the_accumulator_grows_with_zero_lanes_and_never_shrinks() -> None:
    acc = bytearray(pack((1, 2, 3, 4, 5), [], [], []))
    _accel.add_lanes(acc, pack((1, 1), [], [], []), False)  # type: ignore[arg-type]
    assert unpack(bytes(acc)) == [2, 3, 3, 4, 5]
    _accel.add_lanes(acc, pack((0, 0, 0, 0, 0), [7, 8], [], []), False)
    assert unpack(bytes(acc)) == [2, 3, 3, 4, 5, 7, 8]


@pytest.mark.parametrize("acc, lanes", [(bytearray(7), b""), (bytearray(8), b"123"),
                                        (bytearray(), b"\0" * 9)])
def test_lengths_that_are_not_whole_lanes_are_refused(acc: bytearray, lanes: bytes) -> None:
    with pytest.raises(ValueError):
        _accel.add_lanes(acc, lanes, False)
    with pytest.raises(ValueError):
        add_lanes_py(acc, lanes, False)


def test_the_accumulator_must_be_a_bytearray() -> None:
    with pytest.raises(TypeError):
        _accel.add_lanes(b"\0" * 8, b"\0" * 8, False)  # type: ignore[arg-type]
