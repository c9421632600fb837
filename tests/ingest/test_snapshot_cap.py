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


def test_no_snapshot_past_the_cap_and_a_restart_still_counts_every_sheet(
        election_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seq_module, "SNAPSHOT_MAX_SLOTS", 3)
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
