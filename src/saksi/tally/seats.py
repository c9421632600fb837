"""Seat projection by Sainte-Laguë (divisors 1, 3, 5, 7, …) within each dapil.

Pure functions over exact ints. Ties between equal quotients go to the party
with more votes in the dapil, then to the lower ballot number — a
deterministic rule of this project (the law leaves exact ties to the KPU), so
the projection is the same on every machine. For the DPR only parties with at
least 4 % of the national valid DPR vote take part (the parliamentary
threshold); the DPRD contests have no threshold.

A projection is only as good as the counted sheets behind it: it is labelled
as a projection, never as the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from saksi.election.model import Contest
from saksi.errors import InputError
from saksi.tally.tally import Tally

PARTY_CONTESTS = (Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA)


def sainte_lague(votes: Mapping[int, int], seats: int,
                 eligible: Iterable[int] | None = None) -> dict[int, int]:
    """Seats per party number for ``seats`` seats (parties with no seat omitted).

    Only parties with votes > 0 (and in ``eligible`` when given) take part; if
    none does, no seat is allocated.
    """
    if seats < 0:
        raise ValueError("seats must be >= 0")
    allowed = None if eligible is None else set(eligible)
    parties = [(n, v) for n, v in votes.items() if v > 0 and (allowed is None or n in allowed)]
    # Seat by seat: the highest quotient v / (2s + 1) wins (compared exactly by
    # cross-multiplying), ties to more votes, then to the lower number.
    result: dict[int, int] = {}
    if not parties:
        return result
    for _ in range(seats):
        best_n, best_v, best_d = 0, 0, 0
        for n, v in parties:
            d = 2 * result.get(n, 0) + 1
            lhs, rhs = v * best_d, best_v * d
            if best_d == 0 or lhs > rhs or (
                    lhs == rhs and (v > best_v or (v == best_v and n < best_n))):
                best_n, best_v, best_d = n, v, d
        result[best_n] = result.get(best_n, 0) + 1
    return result


class DapilSeats(msgspec.Struct, frozen=True):
    dapil: str
    name: str
    contest: Contest
    province: str
    seats: int
    votes: list[tuple[int, int]]  # (party, votes) of every party on counted sheets
    allocation: list[tuple[int, int]]  # (party, seats), ballot order


class SeatProjection(msgspec.Struct, frozen=True):
    contest: Contest
    as_of_index: int
    eligible: list[int] | None  # DPR: parties over the threshold; None: no threshold
    dapils: list[DapilSeats]
    provinces: dict[str, list[tuple[int, int]]]  # province → (party, seats)
    national: list[tuple[int, int]]


def project(tally: Tally, contest: Contest) -> SeatProjection:
    """Seats per dapil of ``contest`` from the counted sheets, summed per
    province and nationally."""
    if contest not in PARTY_CONTESTS:
        raise InputError("contest", str(contest), "kursi hanya untuk DPR dan DPRD",
                         "seats exist only for the DPR and the DPRD contests")
    shape = tally.shape
    eligible = sorted(tally.dpr_eligible()) if contest is Contest.DPR else None
    dapils: list[DapilSeats] = []
    provinces: dict[str, dict[int, int]] = {}
    national: dict[int, int] = {}
    for code in sorted(shape.dapils):
        d = shape.dapils[code]
        if d.contest is not contest or not shape.expected_dapil.get(code):
            continue
        agg = tally.dapil_aggregate(code)
        alloc = sainte_lague(agg.choices, d.seats, eligible)
        province = shape.dapil_province(code)
        per = provinces.setdefault(province, {})
        for p, s in alloc.items():
            per[p] = per.get(p, 0) + s
            national[p] = national.get(p, 0) + s
        dapils.append(DapilSeats(code, d.name, contest, province, d.seats,
                                 sorted((p, v) for p, v in agg.choices.items() if v),
                                 sorted(alloc.items())))
    return SeatProjection(contest, tally.as_of_index, eligible, dapils,
                          {p: sorted(v.items()) for p, v in sorted(provinces.items())},
                          sorted(national.items()))


__all__ = ["DapilSeats", "SeatProjection", "project", "sainte_lague"]
