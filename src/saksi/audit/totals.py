"""Totals at every level and contest, progress and seat projections
(docs/recapitulation.md §2–3), recomputed from the current versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from operator import add

from saksi.audit.index import NATIONAL, ElectionIndex, contests_at
from saksi.audit.replay import Current
from saksi.audit.sheet import PARTY_CONTESTS, BallotSpec


@dataclass(slots=True)
class Agg:
    sheets_expected: int = 0
    sheets_in: int = 0
    sheets_counted: int = 0
    sheets_flagged: int = 0
    flagged_votes: int = 0
    dpt: int = 0
    voters: int = 0
    valid: int = 0
    invalid: int = 0
    total: int = 0
    choices: dict[int, int] = field(default_factory=dict)
    party_only: dict[int, int] = field(default_factory=dict)
    candidates: dict[tuple[int, int], int] = field(default_factory=dict)

    def progress(self) -> dict[str, int]:
        e = self.sheets_expected
        return {"sheets_expected": e, "sheets_in": self.sheets_in,
                "sheets_counted": self.sheets_counted, "sheets_flagged": self.sheets_flagged,
                "flagged_votes": self.flagged_votes, "tps_total": e, "tps_in": self.sheets_in,
                "in_bp": self.sheets_in * 10_000 // e if e else 0}

    def figures(self) -> dict[str, int]:
        return {"dpt": self.dpt, "voters": self.voters, "valid": self.valid,
                "invalid": self.invalid, "total": self.total}


@dataclass
class Totals:
    regions: dict[tuple[str, str], Agg]  # (contest, region)
    dapils: dict[str, Agg]
    seats: dict[str, dict[int, int]]  # dapil -> party -> seats
    eligible: list[int]  # DPR parties over the threshold


class _Cell:
    """One desa's sum for one contest, vote lists in the order of its ballot."""

    __slots__ = ("agg", "cands", "choices", "party_only")

    def __init__(self) -> None:
        self.agg = Agg()
        self.choices: list[int] = []
        self.party_only: list[int] = []
        self.cands: list[int] = []


def _add(acc: list[int], votes: list[int]) -> list[int]:
    return list(map(add, acc, votes)) if acc else list(votes)


def _merge(into: Agg, a: Agg, choices: bool) -> None:
    into.sheets_expected += a.sheets_expected
    into.sheets_in += a.sheets_in
    into.sheets_counted += a.sheets_counted
    into.sheets_flagged += a.sheets_flagged
    into.flagged_votes += a.flagged_votes
    into.dpt += a.dpt
    into.voters += a.voters
    into.valid += a.valid
    into.invalid += a.invalid
    into.total += a.total
    if choices:
        for mine, theirs in ((into.choices, a.choices), (into.party_only, a.party_only)):
            for n, v in theirs.items():
                mine[n] = mine.get(n, 0) + v


def compute(index: ElectionIndex, current: dict[str, Current]) -> Totals:
    """Every region and dapil, summed desa by desa then rolled up level by level
    (a desa lies in one dapil per contest, so its sheets share one ballot)."""
    cells: dict[tuple[str, str], _Cell] = {}
    for desa, n in index.tps_per_desa().items():
        for contest in contests_at(desa):
            cell = cells[contest, desa] = _Cell()
            cell.agg.sheets_expected = n
    for key, cur in current.items():
        contest = key[14:]
        found = cells.get((contest, key[:10]))
        if found is None:
            found = cells[contest, key[:10]] = _Cell()
        cell = found
        a = cell.agg
        a.sheets_in += 1
        if cur.flags:
            a.sheets_flagged += 1
            a.flagged_votes += cur.figures[4]
            continue
        a.sheets_counted += 1
        dpt, voters, valid, invalid, total = cur.figures
        a.dpt += dpt
        a.voters += voters
        a.valid += valid
        a.invalid += invalid
        a.total += total
        cell.choices = _add(cell.choices, cur.choices)
        cell.party_only = _add(cell.party_only, cur.party_only)
        cell.cands = _add(cell.cands, cur.candidates)
    regions: dict[tuple[str, str], Agg] = {}
    dapils: dict[str, Agg] = {}
    dapil_cands: dict[str, list[int]] = {}
    specs: dict[str, BallotSpec] = {}
    for (contest, desa), cell in cells.items():
        a = cell.agg
        spec = index.ballot(desa, contest)
        if spec is not None and cell.choices:
            a.choices = dict(zip(spec.numbers, cell.choices, strict=True))
            if cell.party_only:
                a.party_only = dict(zip(spec.numbers, cell.party_only, strict=True))
        regions[contest, desa] = a
        d = index.dapil_of(desa, contest)
        if d is not None:
            _merge(dapils.setdefault(d, Agg()), a, True)
            if spec is not None and cell.cands:
                specs[d] = spec
                dapil_cands[d] = _add(dapil_cands.get(d, []), cell.cands)
    for d, votes in dapil_cands.items():
        dapils[d].candidates = dict(zip(specs[d].flat_candidates, votes, strict=True))
    for width in (10, 6, 4, 2):  # roll each level into its parent
        for (contest, code), a in list(regions.items()):
            if len(code) != width:
                continue
            parent = code[:{10: 6, 6: 4, 4: 2, 2: 0}[width]] or NATIONAL
            into = regions.get((contest, parent))
            if into is None:
                into = regions[contest, parent] = Agg()
            # DPD numbers are per province: no national choices
            _merge(into, a, not (contest == "dpd" and parent == NATIONAL))
    seats: dict[str, dict[int, int]] = {}
    national_dpr = regions.get(("dpr", NATIONAL), Agg())
    valid_dpr = sum(national_dpr.choices.values())
    eligible = sorted(p for p, v in national_dpr.choices.items() if v * 100 >= 4 * valid_dpr
                      and v > 0)
    for code, (contest, n_seats) in index.dapils().items():
        if contest not in PARTY_CONTESTS:
            continue
        a = dapils.get(code, Agg())
        party_votes = a.choices
        allowed = set(eligible) if contest == "dpr" else set(party_votes)
        seats[code] = sainte_lague({p: v for p, v in party_votes.items() if p in allowed},
                                   n_seats)
    return Totals(regions, dapils, seats, eligible)


def sainte_lague(votes: dict[int, int], seats: int) -> dict[int, int]:
    """Divisors 1, 3, 5, …; ties: more votes, then the lower ballot number; no vote, no seat."""
    quotients = [(Fraction(v, 2 * k + 1), v, -p, p) for p, v in votes.items() if v > 0
                 for k in range(seats)]
    quotients.sort(reverse=True)
    out: dict[int, int] = {}
    for *_, p in quotients[:seats]:
        out[p] = out.get(p, 0) + 1
    return out
