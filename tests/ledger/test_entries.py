"""Reading a published log's entries by index from its directory, as an HTTP
worker does (``saksi.ledger.entries``): the database keeps no copy of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.errors import NotFoundError, StateError
from saksi.ledger import Log
from saksi.ledger.entries import PublishedEntries, published_size, published_text
from saksi.ledger.tiles import tile_path

ORIGIN = "saksi.example/entries"


def sized(i: int) -> bytes:
    return f"entry {i} ".encode() * (1 + i % 7)


def test_every_entry_reads_back_as_appended_across_full_and_partial_bundles(
        tmp_path: Path) -> None:
    Log.create(tmp_path, origin=ORIGIN).close()
    data = [sized(i) for i in range(700)]
    reader = PublishedEntries(tmp_path / "log")
    with Log.open(tmp_path, batch_ms=0) as log:
        for start in range(0, 700, 123):
            log.append_many(data[start:start + 123])
            # Read while the log grows: the newest entries sit in a partial bundle.
            size = min(start + 123, 700)
            assert reader.size() == size
            assert [reader.entry(i) for i in range(size)] == data[:size]
    assert (tmp_path / "log" / tile_path("entries", 1)).exists()
    assert not (tmp_path / "log" / (tile_path("entries", 1) + ".p")).exists()
    assert reader.entry(699) == data[699] and reader.entry(0) == data[0]


def test_a_partial_bundle_tidied_away_is_read_from_the_full_one(tmp_path: Path) -> None:
    Log.create(tmp_path, origin=ORIGIN).close()
    data = [sized(i) for i in range(300)]
    with Log.open(tmp_path, batch_ms=0) as log:
        log.append_many(data[:100])
        # A reader that saw size 100 (partial bundle of width 100) …
        reader = PublishedEntries(tmp_path / "log")
        assert reader.entry(5) == data[5]
        log.append_many(data[100:])  # … then the bundle fills and its partials go.
    partial = tmp_path / "log" / (tile_path("entries", 0) + ".p")
    assert not partial.exists()
    fresh = PublishedEntries(tmp_path / "log")
    assert [fresh.entry(i) for i in range(300)] == data
    assert reader.entry(99) == data[99] and reader.entry(299) == data[299]


def test_beyond_the_published_log_is_not_found(tmp_path: Path) -> None:
    Log.create(tmp_path, origin=ORIGIN).close()
    with Log.open(tmp_path, batch_ms=0) as log:
        log.append_many([b"a", b"b"])
    reader = PublishedEntries(tmp_path / "log")
    with pytest.raises(NotFoundError) as err:
        reader.entry(2)
    assert err.value.field == "index"
    with pytest.raises(NotFoundError):
        reader.entry(-1)


def test_a_damaged_checkpoint_is_a_state_error_not_a_guess(tmp_path: Path) -> None:
    Log.create(tmp_path, origin=ORIGIN).close()
    text = published_text(tmp_path / "log")
    assert published_size(text) == 0
    with pytest.raises(StateError):
        published_size(text.replace("\n0\n", "\n-1\n", 1))
    with pytest.raises(StateError):
        published_size("origin only\n")


def test_a_bundle_with_the_wrong_number_of_entries_is_refused(tmp_path: Path) -> None:
    with _fresh(tmp_path / "a") as log:
        log.append_many([sized(i) for i in range(256)])
    with _fresh(tmp_path / "b") as other:
        other.append_many([sized(i) for i in range(100)])
    # A well-formed bundle of 100 entries where the full one of 256 belongs.
    short = (tmp_path / "b" / "log" / tile_path("entries", 0, 100)).read_bytes()
    (tmp_path / "a" / "log" / tile_path("entries", 0)).write_bytes(short)
    with pytest.raises(StateError):
        PublishedEntries(tmp_path / "a" / "log").entry(3)


def _fresh(directory: Path) -> Log:
    Log.create(directory, origin=ORIGIN).close()
    return Log.open(directory, batch_ms=0)


@settings(max_examples=20, deadline=None)
@given(batches=st.lists(st.integers(1, 300), min_size=1, max_size=5),
       probes=st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_any_appends_any_reads(tmp_path_factory: pytest.TempPathFactory, batches: list[int],
                               probes: list[int]) -> None:
    directory = tmp_path_factory.mktemp("log")
    data: list[bytes] = []
    with _fresh(directory) as log:
        for n in batches:
            chunk = [sized(len(data) + i) + bytes([len(data) % 251]) for i in range(n)]
            log.append_many(chunk)
            data.extend(chunk)
    reader = PublishedEntries(directory / "log")
    for p in probes:  # in any order: the held bundle is swapped as needed
        i = p % len(data)
        assert reader.entry(i) == data[i]
