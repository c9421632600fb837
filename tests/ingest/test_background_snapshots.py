"""Snapshots taken by a forked child while the sequencer goes on.

The child must store the tally exactly as it was when it was forked — between
two batches — whatever the parent applies meanwhile; a child that fails
leaves the parent and the stored snapshot as they were.
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import pytest

from saksi.election.model import Contest
from saksi.ingest import Ingestor, Receipt
from saksi.ingest.snapshots import BackgroundSnapshots
from saksi.store import open_store
from saksi.store.base import default_url
from saksi.tally import Tally

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import signed_ppwp

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="os.fork")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, election_dir: Path) -> str:
    """The index of the election: SQLite beside it, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return default_url(election_dir)
    from saksi.store.testing import fresh_database

    return fresh_database()


def _stored(url: str) -> bytes | None:
    store = open_store(url, readonly=True)
    try:
        return store.snapshot()
    finally:
        store.close()


def _national(tally: Tally) -> list[int]:
    return list(tally.aggregate(Contest.PPWP, "0").counts)


def test_the_child_stores_the_tally_as_it_was_when_forked(election_dir: Path,
                                                          store_url: str) -> None:
    raws = signed_ppwp(election_dir, 6, seed=9)
    with Ingestor.open(election_dir, store_url) as ingestor:
        seq = ingestor.sequencer
        first = ingestor.submit_many(raws[:3])
        assert all(isinstance(r, Receipt) for r in first)
        at_fork = seq.tally.snapshot()
        writer = BackgroundSnapshots(seq.store.url)
        assert writer.start(seq.tally)
        assert not writer.start(seq.tally)  # one child at a time
        later = ingestor.submit_many(raws[3:])  # the parent goes on meanwhile
        assert all(isinstance(r, Receipt) for r in later)
        writer.wait()
        assert writer.failures == 0 and writer.last_seconds is not None
        stored = _stored(store_url)
        assert stored == at_fork
        restored = Tally.restore(seq.tally.shape, stored)
        assert restored.as_of_index == max(r.index for r in first if isinstance(r, Receipt))
        assert restored.slot_count == 3 and seq.tally.slot_count == 6


def test_a_failing_child_changes_nothing(election_dir: Path, tmp_path: Path) -> None:
    raws = signed_ppwp(election_dir, 2, seed=9)
    with Ingestor.open(election_dir) as ingestor:
        seq = ingestor.sequencer
        ingestor.submit(raws[0])
        before = _stored(default_url(election_dir))
        broken = BackgroundSnapshots(f"sqlite:///{tmp_path}/no/such/dir/x.sqlite")
        assert broken.start(seq.tally)
        broken.wait()
        assert broken.failures == 1 and not broken.running
        assert _stored(default_url(election_dir)) == before
        assert isinstance(ingestor.submit(raws[1]), Receipt)


def test_a_restart_counts_the_same_after_background_snapshots(
        election_dir: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from saksi.ingest import sequencer as seq_module

    monkeypatch.setattr(seq_module, "SNAPSHOT_SECONDS", 0.0)  # a snapshot after every batch
    raws = signed_ppwp(election_dir, 8, seed=4)
    with Ingestor.open(election_dir, store_url) as ingestor:
        receipts = [ingestor.submit(raw) for raw in raws]
        assert all(isinstance(r, Receipt) for r in receipts)
        national = _national(ingestor.sequencer.tally)
        children = ingestor.sequencer._snapshots
        assert children.last_seconds is not None and children.failures == 0
    with Ingestor.open(election_dir, store_url) as again:
        assert _national(again.sequencer.tally) == national
        assert again.sequencer.tally.slot_count == 8
    snap = _stored(store_url)
    assert snap is not None  # the last one, taken at close: every sheet is in it
    last = max(r.index for r in receipts if isinstance(r, Receipt))
    assert msgspec.msgpack.decode(snap)[2] == last  # schema, shape, as_of_index, …


def _stuck(self: BackgroundSnapshots, tally: Tally) -> bool:
    import time

    time.sleep(60)  # as if a lock the fork copied held were never released
    return True


def test_a_stuck_child_is_ended_by_its_alarm(election_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackgroundSnapshots, "_store", _stuck)
    with Ingestor.open(election_dir) as ingestor:
        writer = BackgroundSnapshots(ingestor.sequencer.store.url, child_seconds=1)
        assert writer.start(ingestor.sequencer.tally)
        writer.wait(timeout=30)
        assert writer.failures == 1 and not writer.running
        assert writer.last_seconds is not None and writer.last_seconds < 30


def test_closing_does_not_wait_forever_for_a_child(election_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BackgroundSnapshots, "_store", _stuck)
    with Ingestor.open(election_dir) as ingestor:
        writer = BackgroundSnapshots(ingestor.sequencer.store.url)
        assert writer.start(ingestor.sequencer.tally)
        writer.wait(timeout=0.5)  # then killed
        assert writer.failures == 1 and not writer.running
