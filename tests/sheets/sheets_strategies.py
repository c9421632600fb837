"""Hypothesis strategies and small fixtures shared by the sheet tests."""

from __future__ import annotations

from hypothesis import strategies as st

from saksi.election.model import Contest, Tps
from saksi.sheets.model import (
    LPJ,
    MAX_COUNT,
    SCHEMA,
    Ballots,
    Entry,
    PartyVotes,
    Sheet,
    Totals,
    Voters,
    Votes,
)
from saksi.sheets.samples import sample_ballot, sample_tps

counts = st.integers(min_value=0, max_value=MAX_COUNT)
numbers = st.integers(min_value=1, max_value=999)
tps_codes = st.from_regex(r"\A[0-9]{13}\Z") | st.from_regex(r"\A99[0-9A-Z]{11}\Z")

lpjs = st.builds(LPJ, L=counts, P=counts, J=counts)
entries = st.builds(Entry, number=numbers, votes=counts)
party_blocks = st.builds(
    PartyVotes, number=numbers, party_votes=counts,
    candidates=st.lists(entries, max_size=5).map(tuple), total=counts,
)


@st.composite
def sheets(draw: st.DrawFn) -> Sheet:
    """Any well-formed sheet (arithmetic not necessarily right)."""
    contest = draw(st.sampled_from(list(Contest)))
    if contest is Contest.PPWP:
        votes = Votes(tickets=tuple(draw(st.lists(entries, max_size=4))))
    elif contest is Contest.DPD:
        votes = Votes(candidates=tuple(draw(st.lists(entries, max_size=6))))
    else:
        votes = Votes(parties=tuple(draw(st.lists(party_blocks, max_size=4))))
    return Sheet(
        schema=SCHEMA, contest=contest, tps=draw(tps_codes),
        revision=draw(st.integers(min_value=1, max_value=MAX_COUNT)),
        voters=Voters(A=draw(lpjs), B1=draw(lpjs), B2=draw(lpjs), B3=draw(lpjs), B4=draw(lpjs)),
        ballots=Ballots(received=draw(counts), used=draw(counts), damaged=draw(counts),
                        unused=draw(counts)),
        disabled=draw(lpjs), votes=votes,
        totals=Totals(A=draw(counts), B=draw(counts), C=draw(counts)),
        reason=draw(st.none() | st.text(max_size=100)),
        photo_sha256=draw(st.none() | st.from_regex(r"\A[0-9a-f]{64}\Z")),
    )


# Province prefixes that matter: Aceh (local parties), DKI (no kab/kota
# DPRD), Central Java, Papua Pegunungan (tiny samples), overseas.
PROVINCES = ("11", "31", "33", "95", "99")


@st.composite
def polling_stations(draw: st.DrawFn) -> Tps:
    province = draw(st.sampled_from(PROVINCES))
    rest = draw(st.from_regex(r"\A[0-9]{11}\Z"))
    return sample_tps(province + rest, dpt_l=draw(st.integers(0, 150)),
                      dpt_p=draw(st.integers(0, 150)))


__all__ = ["PROVINCES", "counts", "polling_stations", "sample_ballot", "sample_tps", "sheets"]
