"""Sainte-Laguë against a naive seat-by-seat count, worked examples, DPR threshold."""

from __future__ import annotations

from fractions import Fraction

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tally_support import PARTIES, sheet_for, small_shape, version

from saksi.election.model import Contest
from saksi.errors import InputError
from saksi.sheets.model import Entry, PartyVotes, Sheet, Votes
from saksi.tally.seats import project, sainte_lague
from saksi.tally.tally import Tally, dpr_eligible


def naive(votes: dict[int, int], seats: int) -> dict[int, int]:
    """Give seats one at a time to the largest v / (2s + 1), compared by
    cross-multiplication; ties to more votes, then the lower ballot number."""
    won = dict.fromkeys((p for p, v in votes.items() if v > 0), 0)
    for _ in range(seats):
        if not won:
            break
        best = None
        for p in sorted(won):
            if best is None:
                best = p
                continue
            lhs = votes[p] * (2 * won[best] + 1)
            rhs = votes[best] * (2 * won[p] + 1)
            if lhs > rhs or (lhs == rhs and votes[p] > votes[best]):
                best = p
        assert best is not None
        won[best] += 1
    return {p: s for p, s in won.items() if s}


@given(st.dictionaries(st.integers(1, 24), st.integers(0, 5000), max_size=12),
       st.integers(0, 12))
def test_matches_the_naive_count(votes: dict[int, int], seats: int) -> None:
    result = sainte_lague(votes, seats)
    assert result == naive(votes, seats)
    parties_with_votes = sum(1 for v in votes.values() if v > 0)
    assert sum(result.values()) == (seats if parties_with_votes else 0)


def by_sorted_quotients(votes: dict[int, int], seats: int,
                        eligible: set[int] | None) -> dict[int, int]:
    """The definition: the ``seats`` largest (v / (2k + 1), v, -number) of all
    quotients, as exact fractions."""
    quotients = sorted(((Fraction(v, 2 * k + 1), v, -n, n) for n, v in votes.items()
                        if v > 0 and (eligible is None or n in eligible)
                        for k in range(seats)), reverse=True)
    out: dict[int, int] = {}
    for *_, n in quotients[:seats]:
        out[n] = out.get(n, 0) + 1
    return out


@given(st.dictionaries(st.integers(1, 24), st.integers(0, 40), max_size=12),
       st.integers(0, 12), st.none() | st.sets(st.integers(1, 24)))
def test_matches_the_sorted_quotients_with_ties(votes: dict[int, int], seats: int,
                                                eligible: set[int] | None) -> None:
    # Small vote counts make equal quotients (and equal votes) common.
    assert sainte_lague(votes, seats, eligible) == by_sorted_quotients(votes, seats, eligible)


@given(st.dictionaries(st.integers(1, 24), st.integers(1, 5000), min_size=1, max_size=10),
       st.integers(1, 10))
def test_more_seats_never_costs_a_party_a_seat(votes: dict[int, int], seats: int) -> None:
    small, large = sainte_lague(votes, seats), sainte_lague(votes, seats + 1)
    assert all(large.get(p, 0) >= s for p, s in small.items())


@pytest.mark.parametrize(("votes", "seats", "expected"), [
    ({1: 53_000, 2: 24_000, 3: 23_000}, 7, {1: 3, 2: 2, 3: 2}),
    ({1: 100, 2: 80, 3: 30, 4: 20}, 5, {1: 2, 2: 2, 3: 1}),
    ({1: 30, 2: 10}, 2, {1: 2}),  # 30/3 = 10/1: the party with more votes wins the tie
    ({5: 10, 3: 10}, 1, {3: 1}),  # equal votes: the lower ballot number
    ({1: 0, 2: 0}, 3, {}),  # nobody has a vote: no seat
    ({1: 7}, 3, {1: 3}),
])
def test_worked_examples(votes: dict[int, int], seats: int, expected: dict[int, int]) -> None:
    assert sainte_lague(votes, seats) == expected


def test_ineligible_parties_take_no_seat() -> None:
    assert sainte_lague({1: 1000, 2: 900, 3: 800}, 3, eligible=[1, 3]) == {1: 2, 3: 1}


@pytest.mark.parametrize(("totals", "eligible"), [
    ({1: 96, 2: 4}, {1, 2}),  # exactly 4 % passes
    ({1: 961, 2: 39}, {1}),  # 3.9 % does not
    ({1: 0, 2: 0}, set()),
])
def test_dpr_threshold_is_exact(totals: dict[int, int], eligible: set[int]) -> None:
    assert dpr_eligible(totals) == eligible


def _dpr_sheet(shape_tps: str, party_totals: dict[int, int], seed: int = 1) -> Sheet:
    base = sheet_for(SHAPE, shape_tps, Contest.DPR, seed)
    parties = tuple(PartyVotes(number=p.number, party_votes=party_totals.get(p.number, 0),
                               candidates=(Entry(number=1, votes=0),),
                               total=party_totals.get(p.number, 0)) for p in PARTIES)
    valid = sum(party_totals.values())
    return msgspec.structs.replace(
        base, votes=Votes(parties=parties),
        totals=msgspec.structs.replace(base.totals, A=valid, C=valid + base.totals.B))


SHAPE = small_shape()


def test_dpr_projection_applies_the_national_threshold() -> None:
    tally = Tally(SHAPE)
    # Party 5 is strong in JABAR I (3 seats) but tiny nationally.
    tally.apply(version(1, _dpr_sheet("3273011001001", {1: 60, 2: 40, 5: 50})))
    tally.apply(version(2, _dpr_sheet("3171011001001", {1: 3000, 2: 2000, 3: 1000})))
    assert 5 not in tally.dpr_eligible()
    projection = project(tally, Contest.DPR)
    jabar1 = next(d for d in projection.dapils if d.dapil == "dpr-32-01")
    assert dict(jabar1.allocation) == {1: 2, 2: 1}  # without the threshold 5 would win one
    assert sainte_lague({1: 60, 2: 40, 5: 50}, 3) == {1: 1, 2: 1, 5: 1}
    assert projection.eligible == [1, 2, 3]
    assert dict(projection.national) == {1: 2 + 4, 2: 1 + 2, 3: 1}
    assert set(projection.provinces) == {"31", "32"}  # DKI II (with abroad) counts in DKI


def test_dprd_projection_has_no_threshold() -> None:
    tally = Tally(SHAPE)
    sheet = sheet_for(SHAPE, "3273011001001", Contest.DPRD_KABKOTA, 4)
    tally.apply(version(1, sheet))
    projection = project(tally, Contest.DPRD_KABKOTA)
    assert projection.eligible is None
    one = next(d for d in projection.dapils if d.dapil == "dprd-kabkota-3273-01")
    votes = {p.number: p.total for p in sheet.votes.parties}
    assert dict(one.allocation) == sainte_lague(votes, 5)
    with pytest.raises(InputError):
        project(tally, Contest.PPWP)
