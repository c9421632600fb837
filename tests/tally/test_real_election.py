"""The tally on a real built election (Kota Bandung, the kabkota default)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from saksi.election.model import Contest
from saksi.keys.ids import Role
from saksi.sheets.generate import generate_sheet
from saksi.tally.counts import counts_of
from saksi.tally.render import dapil_document, progress_document, region_document
from saksi.tally.seats import project
from saksi.tally.shape import NATIONAL, shape_from_election
from saksi.tally.tally import Tally
from saksi.tally.versions import SheetVersion

election_module = pytest.importorskip("saksi.election")


def test_kabkota_election(tmp_path: Path) -> None:
    election = election_module.build_election(tmp_path / "e", scale="kabkota")
    shape = shape_from_election(election)
    tps = list(election.iter_tps())
    assert len(shape.tps) == len(tps)
    for t in tps[:: max(1, len(tps) // 50)]:  # the bulk dapil mapping agrees with dapil_of
        for contest in election.contests_at(t.code):
            dapil = election.dapil_of(t.code, contest)
            assert shape.tps[t.code].dapil.get(contest) == (dapil.code if dapil else None)
    tally = Tally(shape)
    index = itertools.count(1)
    sample = tps[:120]
    sheets = []
    for t in sample:
        for contest in election.contests_at(t.code):
            sheet = generate_sheet(election.ballot(t.code, contest), t, seed=7)
            sheets.append(sheet)
            dapil = shape.tps[t.code].dapil.get(contest)
            tally.apply(SheetVersion.of(
                sheet, counts_of(sheet, tally.layout(contest, dapil)), index=next(index),
                leaf_hash="00" * 32, signer="k", role=Role.DEVICE, flagged=False, flags=()))
    for contest in Contest:
        national = tally.aggregate(contest, NATIONAL)
        assert national.total == sum(s.totals.C for s in sheets if s.contest is contest)
        assert national.sheets_expected == sum(contest in t.contests for t in shape.tps.values())
    kab = region_document(tally, Contest.PPWP, "3273")
    assert kab.children and sum(c.totals.total for c in kab.children) == kab.totals.total
    for contest in (Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA):
        seats = project(tally, contest)
        for d in seats.dapils:
            assert sum(s for _, s in d.allocation) <= d.seats
    dprd = next(iter(d for d in shape.dapils.values()
                     if d.contest is Contest.DPRD_KABKOTA and tally.dapil_aggregate(d.code).valid))
    doc = dapil_document(tally, dprd.code)
    assert sum(s for _, s in doc.projection) == dprd.seats
    assert progress_document(tally).national["ppwp"].sheets_in == len(sample)
