"""Totals at every level and contest, progress and seat projections
(docs/recapitulation.md §2–3), recomputed from the current versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from saksi.audit.index import NATIONAL, ElectionIndex, chain, contests_at
from saksi.audit.replay import Current
from saksi.audit.sheet import PARTY_CONTESTS


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


def compute(index: ElectionIndex, current: dict[str, Current]) -> Totals:
    regions: dict[tuple[str, str], Agg] = {}
    dapils: dict[str, Agg] = {}
    for code, _dpt in index.all_tps():
        for contest in contests_at(code):
            for r in chain(code):
                a = regions.get((contest, r))
                if a is None:
                    a = regions[contest, r] = Agg()
                a.sheets_expected += 1
            d = index.dapil_of(code, contest)
            if d is not None:
                dapils.setdefault(d, Agg()).sheets_expected += 1
    for key, cur in current.items():
        code, contest = key.split("/", 1)
        d = index.dapil_of(code, contest)
        targets = [regions.setdefault((contest, r), Agg()) for r in chain(code)]
        if d is not None:
            targets.append(dapils.setdefault(d, Agg()))
        flagged = bool(cur.flags)
        for i, a in enumerate(targets):
            a.sheets_in += 1
            if flagged:
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
            if contest == "dpd" and i == 4:
                continue  # DPD numbers are per province: no national choices
            for n, v in cur.choices:
                a.choices[n] = a.choices.get(n, 0) + v
            for n, v in cur.party_only:
                a.party_only[n] = a.party_only.get(n, 0) + v
            if d is not None and i == len(targets) - 1:
                for p, n, v in cur.candidates:
                    a.candidates[p, n] = a.candidates.get((p, n), 0) + v
    seats: dict[str, dict[int, int]] = {}
    national_dpr = regions.get(("dpr", NATIONAL), Agg())
    valid_dpr = sum(national_dpr.choices.values())
    eligible = sorted(p for p, v in national_dpr.choices.items() if v * 100 >= 4 * valid_dpr
                      and v > 0)
    for code, (contest, n_seats) in index.dapils().items():
        if contest not in PARTY_CONTESTS:
            continue
        a = dapils.get(code, Agg())
        votes = a.choices
        allowed = set(eligible) if contest == "dpr" else set(votes)
        seats[code] = sainte_lague({p: v for p, v in votes.items() if p in allowed}, n_seats)
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
