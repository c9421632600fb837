"""A sheet's counts hold exactly its numbers, each where the layout says."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tally_support import (
    CANDIDATES,
    DAPILS,
    PARTIES,
    REGIONS,
    TICKETS,
    TPS_CODES,
    ballot,
    sheet_for,
    small_shape,
    tps_shapes,
    version,
)

from saksi.election.model import Candidate, Contest
from saksi.errors import StateError
from saksi.sheets.model import Entry, PartyVotes, Sheet, Votes
from saksi.tally.counts import FIGURES, Layout, ballot_layout, counts_of
from saksi.tally.shape import NATIONAL, Shape
from saksi.tally.tally import Tally

SHAPE = small_shape()
TALLY = Tally(SHAPE)


def _layout(code: str, contest: Contest) -> Layout:
    return TALLY.layout(contest, SHAPE.tps[code].dapil.get(contest))


slots = st.sampled_from([(code, c) for code in TPS_CODES for c in SHAPE.tps[code].contests])


@settings(max_examples=80, deadline=None)
@given(slots, st.integers(0, 2**16))
def test_counts_hold_every_number_of_the_sheet_and_nothing_else(
        slot: tuple[str, Contest], seed: int) -> None:
    code, contest = slot
    sheet = sheet_for(SHAPE, code, contest, seed)
    layout = _layout(code, contest)
    counts = counts_of(sheet, layout)
    assert len(counts) == layout.width
    v, t = sheet.voters, sheet.totals
    assert counts[:FIGURES] == [1, v.A.J, v.B4.J, t.A, t.B, t.C]
    votes = sheet.votes
    if votes.parties:
        assert layout.choice_votes(counts) == {p.number: p.total for p in votes.parties
                                               if p.total}
        assert layout.party_only_votes(counts) == {
            p.number: p.party_votes for p in votes.parties if p.party_votes}
        assert layout.candidate_votes(counts) == {
            (p.number, c.number): c.votes for p in votes.parties for c in p.candidates
            if c.votes}
    else:
        assert layout.choice_votes(counts) == {
            e.number: e.votes for e in votes.tickets or votes.candidates if e.votes}
        assert layout.party_only_votes(counts) == {}
    # Everything is somewhere: the counts sum to the sheet's numbers.
    listed = sum(e.votes for e in (*votes.tickets, *votes.candidates)) + sum(
        p.total + p.party_votes + sum(c.votes for c in p.candidates) for p in votes.parties)
    assert sum(counts[FIGURES:]) == listed


@given(slots)
def test_the_worker_and_the_tally_agree_on_every_layout(slot: tuple[str, Contest]) -> None:
    code, contest = slot
    worker = ballot_layout(ballot(SHAPE, code, contest), (p.number for p in PARTIES))
    assert worker == _layout(code, contest)


def test_region_part_is_a_prefix_shared_by_every_dapil_of_a_party_contest() -> None:
    widths = {TALLY.layout(Contest.DPR, d).region_width
              for d in SHAPE.dapils if d.startswith("dpr-")}
    assert widths == {FIGURES + 2 * max(p.number for p in PARTIES)}


def test_a_number_off_the_ballot_has_no_place() -> None:
    code = TPS_CODES[0]
    sheet = sheet_for(SHAPE, code, Contest.PPWP, 1)
    off = Sheet(**{**{f: getattr(sheet, f) for f in sheet.__struct_fields__},
                   "votes": Votes(tickets=(*sheet.votes.tickets, Entry(9, 1)))})
    with pytest.raises(StateError):
        counts_of(off, _layout(code, Contest.PPWP))
    dpr = sheet_for(SHAPE, code, Contest.DPR, 1)
    block = dpr.votes.parties[0]
    stray = PartyVotes(block.number, block.party_votes,
                       (*block.candidates, Entry(99, 1)), block.total + 1)
    bad = Sheet(**{**{f: getattr(dpr, f) for f in dpr.__struct_fields__},
                   "votes": Votes(parties=(stray, *dpr.votes.parties[1:]))})
    with pytest.raises(StateError):
        counts_of(bad, _layout(code, Contest.DPR))


def test_provinces_with_dpd_lists_of_different_lengths_share_the_national_figures() -> None:
    longer = {**CANDIDATES, "dpd-32": tuple(
        Candidate("dpd-32", None, n, f"DPD 32 {n}", "LP"[n % 2]) for n in range(1, 10))}
    shape = Shape.build(regions=REGIONS, tps=tps_shapes(), dapils=DAPILS, candidates=longer,
                        tickets=TICKETS, parties=PARTIES)
    tally = Tally(shape)
    totals = 0
    for index, code in enumerate(("3171011001001", "3273011001001", "3274011001001"), 1):
        sheet = sheet_for(shape, code, Contest.DPD, index)
        tally.apply(version(index, sheet, shape=shape))
        totals += sheet.totals.C
    assert tally.aggregate(Contest.DPD, NATIONAL).total == totals
    assert max(tally.aggregate(Contest.DPD, "32").choices) <= 9
    assert max(tally.aggregate(Contest.DPD, "31").choices) <= 6
    assert Tally.restore(shape, tally.snapshot()).snapshot() == tally.snapshot()
