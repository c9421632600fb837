"""Batches begun before the previous one is durable (``Sequencer.begin``/``finish``).

The server checks batch k+1 while the log makes batch k durable. Each batch
must be checked against everything earlier batches accepted, as if they had
been sequenced one after the other; receipts come only from ``finish``, in
order, once their entries are in the log and the index.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from saksi.election import Election
from saksi.election.model import Contest
from saksi.errors import StateError
from saksi.ingest import Ingestor, Receipt, Refusal
from saksi.ingest.outcome import Item
from saksi.ingest.precheck import Layouts, precheck
from saksi.ingest.sequencer import Sequencer
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_master
from saksi.keys.simulation import device_key
from saksi.ledger import Log
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import Sheet
from saksi.store.base import default_url
from saksi.tally import Tally


def _sheets(directory: Path, n: int) -> list[Sheet]:
    with Election.open(directory) as election:
        return [generate_sheet(election.ballot(t.code, Contest.PPWP), t, 3)
                for t, _ in zip(election.iter_tps(), range(n), strict=False)]


def _sign(directory: Path, sheet: Sheet) -> bytes:
    key = device_key(load_master(directory, None), sheet.tps)
    return env.encode(env.sign(TYPE_SHEET, encode(sheet), [key]))


def _items(seq: Sequencer, raws: list[bytes]) -> list[Item]:
    layouts = Layouts(seq.election, seq.election.parties)

    def key(keyid: str) -> bytes | None:
        rec = seq.registry.key(keyid)
        return None if rec is None else rec.public_key

    return [precheck(raw, seq.election, key, layouts) for raw in raws]


def _national(tally: Tally) -> tuple[int, list[int]]:
    agg = tally.aggregate(Contest.PPWP, "0")
    return agg.sheets_in, list(agg.counts)


def test_a_batch_begun_before_the_last_is_durable_sees_what_it_accepted(
        election_dir: Path) -> None:
    first, other = _sheets(election_dir, 2)
    rev1 = _sign(election_dir, first)
    rev2 = _sign(election_dir, msgspec.structs.replace(first, revision=2))
    resigned = _sign(election_dir, msgspec.structs.replace(first, revision=2,
                                                           reason="ditulis ulang"))
    fresh = _sign(election_dir, other)
    with Sequencer.open(election_dir, default_url(election_dir)) as seq:
        size = seq.log.size
        a = seq.begin(_items(seq, [rev1]))
        b = seq.begin(_items(seq, [rev1, rev2, resigned, fresh]))
        assert seq.unfinished == 2
        [r1] = seq.finish(a)
        again, r2, stale, r3 = seq.finish(b)
        assert seq.unfinished == 0
    assert isinstance(r1, Receipt) and r1.index == size
    # The same bytes again, while their batch was not yet durable: the same receipt.
    assert isinstance(again, Receipt) and again.duplicate and again.index == r1.index
    # Revision 2 outranks revision 1 of the unfinished batch; a second revision 2 does not.
    assert isinstance(r2, Receipt) and r2.index == size + 1
    assert isinstance(stale, Refusal) and stale.reasons[0].code == "REVISION-STALE"
    assert isinstance(r3, Receipt) and r3.index == size + 2
    with Log.open(election_dir, readonly=True) as log:
        assert log.size == size + 3


def test_pipelined_batches_leave_the_state_one_after_the_other_leaves(
        election_dir: Path, tmp_path: Path) -> None:
    import shutil

    twin = tmp_path / "twin"
    shutil.copytree(election_dir, twin)
    sheets = _sheets(election_dir, 12)
    raws = [_sign(election_dir, s) for s in sheets]
    raws += [_sign(election_dir, msgspec.structs.replace(s, revision=2)) for s in sheets[:4]]
    chunks = [raws[i:i + 3] for i in range(0, len(raws), 3)]
    with Sequencer.open(election_dir, default_url(election_dir)) as seq:
        tickets = [seq.begin(_items(seq, c)) for c in chunks]
        piped = [o for t in tickets for o in seq.finish(t)]
        piped_national = _national(seq.tally)
    with Ingestor.open(twin) as ingestor:
        serial = [o for c in chunks for o in ingestor.submit_many(c)]
        serial_national = _national(ingestor.sequencer.tally)
    assert piped == serial
    assert piped_national == serial_national


def test_batches_are_finished_in_the_order_they_were_begun(election_dir: Path) -> None:
    one, two = (_sign(election_dir, s) for s in _sheets(election_dir, 2))
    with Sequencer.open(election_dir, default_url(election_dir)) as seq:
        a = seq.begin(_items(seq, [one]))
        b = seq.begin(_items(seq, [two]))
        with pytest.raises(StateError):
            seq.finish(b)
        assert isinstance(seq.finish(a)[0], Receipt)
        assert isinstance(seq.finish(b)[0], Receipt)
