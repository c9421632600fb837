"""The bench's spool: what is written is read back, in order; damage is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saksi.errors import StateError
from saksi.sim.spool import MAGIC, read_spool, spool_info, write_spool
from saksi.sim.work import Doc

_docs = st.builds(
    Doc, raw=st.binary(max_size=300), leaf=st.text(max_size=64),
    tps=st.text(max_size=13), contest=st.sampled_from(["ppwp", "dpd", "dpr"]),
    revision=st.integers(1, 2**31), role=st.sampled_from(["device", "kecamatan"]),
    pattern=st.none() | st.text(max_size=10), total=st.integers(0, 10**9),
    valid=st.integers(0, 10**9),
    choices=st.lists(st.tuples(st.integers(1, 99), st.integers(0, 10**9)),
                     max_size=5).map(tuple))
_requests = st.lists(st.lists(_docs, min_size=1, max_size=5).map(tuple), max_size=20)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=_requests)
def test_every_request_is_read_back_in_order(tmp_path: Path,
                                             requests: list[tuple[Doc, ...]]) -> None:
    path = tmp_path / "night.spool"
    info = write_spool(path, requests)
    assert (info.requests, info.sheets) == (len(requests), sum(map(len, requests)))
    assert spool_info(path) == info
    assert list(read_spool(path)) == requests


def test_an_unfinished_spool_is_not_taken_for_a_complete_one(tmp_path: Path) -> None:
    path = tmp_path / "night.spool"

    def interrupted() -> object:
        yield (Doc(b"x", "00", "3273011001001", "ppwp", 1, "device", None, 1, 1, ()),)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_spool(path, interrupted())  # type: ignore[arg-type]
    assert spool_info(path) is None
    assert not path.exists()


def test_a_truncated_or_foreign_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "night.spool"
    write_spool(path, [(Doc(b"x" * 50, "ab", "t", "ppwp", 1, "device", None, 1, 1, ()),)] * 3)
    whole = path.read_bytes()
    for cut in (len(whole) - 1, len(whole) - 40, len(MAGIC) + 2):
        path.write_bytes(whole[:cut])
        with pytest.raises(StateError, match="truncated"):
            list(read_spool(path))
    path.write_bytes(b"not a spool at all")
    with pytest.raises(StateError, match="not a saksi v1 spool"):
        list(read_spool(path))
