"""The sequencer counts what a worker reduced a sheet to exactly as it would
count the sheet it decoded itself; counts that do not fit are not trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec

from saksi.election import Election
from saksi.election.model import Contest
from saksi.ingest.outcome import Item, Receipt
from saksi.ingest.precheck import Layouts, precheck
from saksi.ingest.sequencer import Sequencer
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_master
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.store.base import default_url


def _signed(directory: Path, tps: int) -> list[bytes]:
    master = load_master(directory, None)
    out = []
    with Election.open(directory) as election:
        for t, _ in zip(election.iter_tps(), range(tps), strict=False):
            for contest in election.contests_at(t.code):
                sheet = generate_sheet(election.ballot(t.code, contest), t, 5)
                out.append(env.encode(env.sign(TYPE_SHEET, encode(sheet),
                                               [device_key(master, t.code)])))
    return out


def _timeless(value: object) -> object:
    """A decoded document without acceptance times (they differ run to run)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in {"time", "received_at"}}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _published(directory: Path, items: list[Item]) -> dict[tuple[str, str], object]:
    with Sequencer.open(directory, default_url(directory)) as seq:
        outcomes = seq.sequence(items)
        assert all(isinstance(o, Receipt) for o in outcomes)
        tps = sorted({str(o.tps) for o in outcomes if isinstance(o, Receipt)})
        dapils = sorted({d for t in tps for d in seq.shape.tps[t].dapil.values()})
        names = [("region", f"{c}/0") for c in Contest] + [("region", f"{c}/{t[:10]}")
                                                          for c in Contest for t in tps]
        names += [("dapil", d) for d in dapils] + [("tps", t) for t in tps]
        docs = seq.documents(names)
        return {n: _timeless(msgspec.json.decode(d.body))
                for n, d in zip(names, docs, strict=True) if d is not None}


def _items(directory: Path, raws: list[bytes], *, counts: bool) -> list[Item]:
    with Election.open(directory) as election, \
            Sequencer.open(directory, default_url(directory)) as seq:
        def key(keyid: str) -> bytes | None:
            rec = seq.registry.key(keyid)
            return None if rec is None else rec.public_key
        layouts = Layouts(election, election.parties) if counts else None
        return [precheck(raw, election, key, layouts) for raw in raws]


def test_worker_counts_give_the_documents_the_sequencer_would_compute(
        built_election: Path, tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in "abc")
    for d in (a, b, c):
        shutil.copytree(built_election, d)
    raws = _signed(a, 12)
    with_counts = _items(a, raws, counts=True)
    assert all(it.counts for it in with_counts)
    without = _items(b, raws, counts=False)
    assert not any(it.counts for it in without)
    # Counts of the wrong length (say, from a worker of another build) are
    # ignored: the sequencer decodes those sheets itself.
    broken = [msgspec.structs.replace(it, counts=it.counts[:-1]) for it in with_counts]
    expected = _published(b, without)
    assert _published(a, with_counts) == expected
    assert _published(c, broken) == expected
    assert sum(name[0] == "dapil" for name in expected) >= 4  # party contests and DPD seen
