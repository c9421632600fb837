"""The verifier's election index: what a lookup answers does not depend on how the
index caches it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.audit.index import ElectionIndex, TpsInfo


def _exact(db: Path, code: str) -> TpsInfo | None:
    with closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT name, dpt_l, dpt_p FROM tps WHERE code = ?",
                           (code,)).fetchone()
    return None if row is None else TpsInfo(str(row[0]), int(row[1]), int(row[2]))


def test_every_tps_is_found_as_one_exact_query_finds_it(built: tuple[Path, str]) -> None:
    directory, _ = built
    index = ElectionIndex.open(directory)
    codes = [str(c) for (c,) in index.conn.execute("SELECT code FROM tps ORDER BY code DESC")]
    assert codes
    for code in codes:
        assert index.tps(code) == _exact(directory / "election.sqlite", code)
    # a desa's TPS are loaded together: far fewer queries than TPS
    assert len(index._desas) < len(codes)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_code_that_is_no_tps_is_none_whatever_was_looked_up_before(
        built: tuple[Path, str], data: st.DataObject) -> None:
    directory, _ = built
    index = ElectionIndex.open(directory)
    codes = [str(c) for (c,) in index.conn.execute("SELECT code FROM tps")]
    real = st.sampled_from(codes)
    near = real.flatmap(lambda c: st.tuples(st.integers(0, len(c)), st.text(max_size=4)).map(
        lambda cut: c[:cut[0]] + cut[1]))
    for code in data.draw(st.lists(real | near | st.text(max_size=14), max_size=12)):
        assert index.tps(code) == _exact(directory / "election.sqlite", code), code
