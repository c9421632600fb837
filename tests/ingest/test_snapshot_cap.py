"""Snapshots stop growing past a cap instead of failing the night.

A snapshot holds every (TPS, contest) with its history: at national scale it
would outgrow the 1 GB one database value may hold. Past ``SNAPSHOT_MAX_SLOTS``
the sequencer takes no further snapshot, and a restart still ends with the
same totals: the last snapshot plus the sheets indexed after it.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from saksi.election import Election
from saksi.election.model import Contest
from saksi.ingest import Ingestor, Receipt
from saksi.ingest import sequencer as seq_module
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_master
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.store import open_store
from saksi.store.base import default_url


def _signed_ppwp(directory: Path, n: int) -> list[bytes]:
    master = load_master(directory, None)
    out = []
    with Election.open(directory) as election:
        for t, _ in zip(election.iter_tps(), range(n), strict=False):
            sheet = generate_sheet(election.ballot(t.code, Contest.PPWP), t, 5)
            out.append(env.encode(env.sign(TYPE_SHEET, encode(sheet), [device_key(master,
                                                                                   t.code)])))
    return out


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
    raws = _signed_ppwp(election_dir, 6)
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
