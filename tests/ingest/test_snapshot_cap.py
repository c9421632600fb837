"""Snapshots stop growing past a cap instead of failing the night.

A snapshot holds every (TPS, contest) with its history: at national scale it
would outgrow the 1 GB one database value may hold. Past ``SNAPSHOT_MAX_SLOTS``
the sequencer takes no further snapshot, and a restart still ends with the
same totals: the last snapshot plus the sheets indexed after it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import pytest

from saksi.election.model import Contest
from saksi.ingest import Ingestor, Receipt
from saksi.ingest import sequencer as seq_module
from saksi.store import open_store
from saksi.store.base import default_url

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import signed_ppwp


def _snapshot_index(directory: Path) -> int | None:
    store = open_store(default_url(directory))
    try:
        data = store.snapshot()
    finally:
        store.close()
    if data is None:
        return None
    return int(msgspec.msgpack.decode(data)[2])  # schema, shape, as_of_index, …


def _national(ingestor: Ingestor) -> bytes:
    doc = ingestor.sequencer.documents([("region", "ppwp/0")])[0]
    assert doc is not None
    return doc.body


# A restart replays the sheets after the snapshot a window of log indices at
# a time (a national night's millions are not in memory at once): windows of
# one and two entries cut between every pair of sheets.
@pytest.mark.parametrize("window", [seq_module.REPLAY_WINDOW, 1, 2])
def test_no_snapshot_past_the_cap_and_a_restart_still_counts_every_sheet(
        election_dir: Path, monkeypatch: pytest.MonkeyPatch, window: int) -> None:
    monkeypatch.setattr(seq_module, "SNAPSHOT_MAX_SLOTS", 3)
    monkeypatch.setattr(seq_module, "REPLAY_WINDOW", window)
    raws = signed_ppwp(election_dir, 6, seed=5)
    with Ingestor.open(election_dir) as ingestor:
        receipts = [ingestor.submit(raw) for raw in raws[:3]]
    assert all(isinstance(r, Receipt) for r in receipts)
    capped = _snapshot_index(election_dir)
    assert capped == max(r.index for r in receipts if isinstance(r, Receipt))
    with Ingestor.open(election_dir) as ingestor:
        later = [ingestor.submit(raw) for raw in raws[3:]]
        before_restart = _national(ingestor)
    assert all(isinstance(r, Receipt) for r in later)
    # four slots and more: the snapshot stayed where the cap stopped it
    assert _snapshot_index(election_dir) == capped
    with Ingestor.open(election_dir) as ingestor:
        after_restart = _national(ingestor)
        assert ingestor.sequencer.tally.slot_count == 6
    assert msgspec.json.decode(after_restart)["progress"]["sheets_in"] == 6
    assert after_restart == before_restart


def test_what_the_tally_holds_is_moved_out_of_the_collectors_reach(
        election_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full collection walks every tracked object: at the end of a national
    # night that was ~20 million and 6.3 s. The tally's slots are frozen as
    # the night goes on, so no full collection walks them again.
    import gc

    monkeypatch.setattr(seq_module, "FREEZE_SECONDS", -1.0)  # at every batch
    raws = signed_ppwp(election_dir, 2, seed=7)
    try:
        with Ingestor.open(election_dir) as ingestor:
            gc.unfreeze()  # what opening froze: only this night's objects count
            receipt = ingestor.submit(raws[0])
            assert isinstance(receipt, Receipt)
            slot = ingestor.sequencer.tally._slots[receipt.tps, Contest(receipt.contest)]
            assert not any(o is slot for o in gc.get_objects())
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # other tests' objects are the collector's again
