"""Totals at every level and contest, progress and seat projections
(docs/recapitulation.md §2–3), recomputed from the current versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import lcm
from typing import TypeVar

from saksi.audit.index import NATIONAL, ElectionIndex, contests_at
from saksi.audit.replay import Current
from saksi.audit.sheet import CONTESTS, PARTY_CONTESTS, BallotSpec, add_lanes, unpack


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
    """One desa's sheets of one contest. The counted ones are summed packed
    (``sheet.pack``), lane by lane in place (``sheet.add_lanes``; they share a ballot)."""

    __slots__ = ("counted", "flagged", "flagged_votes", "sheets_in", "sum")

    def __init__(self) -> None:
        self.sheets_in = self.counted = self.flagged = self.flagged_votes = 0
        self.sum = bytearray()


class Cells:
    """Every desa's cells, kept as versions become current: the replay hands each new
    version over while its votes are still in the cache, and a superseded version is
    taken out again (exactly: the sums are integers), so the tally at the end needs no
    pass over millions of current versions."""

    __slots__ = ("cells",)

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], _Cell] = {}  # (contest, desa)

    @classmethod
    def of(cls, current: dict[str, Current]) -> Cells:
        out = cls()
        for key, cur in current.items():
            out.change(key, None, cur)
        return out

    def change(self, key: str, old: Current | None, new: Current) -> None:
        """``new`` is the current version of ``key`` ("tps/contest"), in place of ``old``."""
        where = (key[14:], key[:10])  # the TPS code is 13 characters, its desa's 10
        cell = self.cells.get(where)
        if cell is None:
            cell = self.cells[where] = _Cell()
        if old is None:
            cell.sheets_in += 1
        elif old.flags:
            cell.flagged -= 1
            cell.flagged_votes -= int.from_bytes(old.votes[32:40], "little")
        else:
            cell.counted -= 1
            add_lanes(cell.sum, old.votes, True)
        packed = new.votes
        if new.flags:
            cell.flagged += 1
            cell.flagged_votes += int.from_bytes(packed[32:40], "little")  # the sheet's total
        else:
            cell.counted += 1
            # in place: as integers, converting ~2 KB from bytes cost 2-4 us a sheet
            add_lanes(cell.sum, packed, False)


_K = TypeVar("_K")


class _Level:
    """What a region or dapil sums before it becomes an ``Agg``: per list of choice numbers
    (one ballot layout; a province may hold several), the packed sum of figures, votes
    per choice and party-only votes."""

    __slots__ = ("agg", "heads")

    def __init__(self, agg: Agg) -> None:
        self.agg = agg
        self.heads: dict[int, bytearray] = {}  # layout id -> packed sum

    def add(self, cell: _Cell, layout: int, head: bytes | bytearray) -> None:
        a = self.agg
        a.sheets_in += cell.sheets_in
        a.sheets_counted += cell.counted
        a.sheets_flagged += cell.flagged
        a.flagged_votes += cell.flagged_votes
        if head:
            _add_into(self.heads, layout, head)

    def merge(self, child: _Level) -> None:
        """Add a region below this one."""
        a, c = self.agg, child.agg
        a.sheets_in += c.sheets_in
        a.sheets_counted += c.sheets_counted
        a.sheets_flagged += c.sheets_flagged
        a.flagged_votes += c.flagged_votes
        for layout, head in child.heads.items():
            _add_into(self.heads, layout, head)

    def finish(self, layouts: list[tuple[list[int], bool]], choices: bool) -> None:
        """Unpack the sums into the figures and (unless ``choices`` is off) the choices."""
        a = self.agg
        for layout, head in self.heads.items():
            numbers, party = layouts[layout]
            n = len(numbers)
            values = unpack(bytes(head).ljust(8 * (5 + (2 * n if party else n)), b"\0"))
            a.dpt += values[0]
            a.voters += values[1]
            a.valid += values[2]
            a.invalid += values[3]
            a.total += values[4]
            if not (choices and n):
                continue
            for name, theirs in (("choices", values[5:5 + n]),
                                 ("party_only", values[5 + n:] if party else None)):
                if theirs is None:
                    continue
                mine: dict[int, int] = getattr(a, name)
                if not mine:  # the common case: one layout
                    setattr(a, name, dict(zip(numbers, theirs, strict=True)))
                    continue
                for number, v in zip(numbers, theirs, strict=True):
                    mine[number] = mine.get(number, 0) + v


def _add_into(sums: dict[_K, bytearray], key: _K, lanes: bytes | bytearray) -> None:
    acc = sums.get(key)
    if acc is None:
        sums[key] = bytearray(lanes)
    else:
        add_lanes(acc, lanes, False)


# the length of a region's parent's code by the region's depth (desa, kecamatan, kab/kota,
# province), 0 for the nation
_PARENT_CUT = (6, 4, 2, 0)


def _level(levels: dict[tuple[str, str], _Level], regions: dict[tuple[str, str], Agg],
           contest: str, region: str) -> _Level:
    level = levels.get((contest, region))
    if level is None:
        agg = regions.get((contest, region))
        if agg is None:  # (not in the index: cannot be, the sheet matched its ballot)
            agg = regions[contest, region] = Agg()
        level = levels[contest, region] = _Level(agg)
    return level


@dataclass
class Frame:
    """What the index alone decides (seconds at national scale, so built while the entries
    are checked): every region and dapil with the sheets it expects, and each desa's dapil
    per contest. ``compute`` fills it in, once."""

    regions: dict[tuple[str, str], Agg]
    dapils: dict[str, Agg]
    dapil_at: dict[str, dict[str, str]]  # contest -> desa -> dapil


def frame(index: ElectionIndex) -> Frame:
    index.load_ballots()
    # expected sheets: a TPS holds every contest of its province
    per_desa = index.tps_per_desa()
    tps_in: dict[str, int] = {}
    for desa, n in per_desa.items():
        for region in (desa, desa[:6], desa[:4], desa[:2]):
            tps_in[region] = tps_in.get(region, 0) + n
    regions: dict[tuple[str, str], Agg] = {}
    national: dict[str, int] = {}
    for region, n in tps_in.items():
        for contest in contests_at(region):
            regions[contest, region] = Agg(sheets_expected=n)
            if len(region) == 2:
                national[contest] = national.get(contest, 0) + n
    for contest, n in national.items():
        regions[contest, NATIONAL] = Agg(sheets_expected=n)
    dapils: dict[str, Agg] = {}
    dapil_at: dict[str, dict[str, str]] = {}
    for contest in CONTESTS:
        at = dapil_at[contest] = index.dapils_of(
            contest, [desa for desa in per_desa if contest in contests_at(desa)])
        for desa, code in at.items():
            a = dapils.get(code)
            if a is None:
                a = dapils[code] = Agg()
            a.sheets_expected += per_desa[desa]
    return Frame(regions, dapils, dapil_at)


def compute(index: ElectionIndex, current: dict[str, Current],
            prepared: Frame | None = None, summed: Cells | None = None) -> Totals:
    """Every region and dapil: each desa's sheets summed packed (``summed``, kept during
    the replay, or summed here from ``current``), then added to each level above it and
    to its dapil (a desa lies in one dapil per contest, so its sheets share one ballot);
    a region without sheets only counts the TPS it expects."""
    cells = (summed if summed is not None else Cells.of(current)).cells
    f = prepared or frame(index)
    regions, dapils, dapil_at = f.regions, f.dapils, f.dapil_at
    # each desa's sheets into its desa level and its dapil; then level by level upwards,
    # each region's sums into its parent's (a national election: ~420k desa cells, ~1M
    # additions of packed sums instead of ~2.5M)
    depths: list[dict[tuple[str, str], _Level]] = [{} for _ in range(len(_PARENT_CUT) + 1)]
    dapil_levels: dict[str, _Level] = {}
    layouts: list[tuple[list[int], bool]] = []
    layout_ids: dict[tuple[tuple[int, ...], bool], int] = {}
    spec_layout: dict[int, int] = {}  # id of a cached BallotSpec -> its layout
    dapil_cands: dict[str, bytearray] = {}  # candidate votes, packed
    specs: dict[str, BallotSpec] = {}
    desas = depths[0]
    for (contest, desa), cell in cells.items():
        spec = index.ballot(desa, contest) if cell.counted else None
        head: bytes | bytearray = b""
        layout = width = 0
        if spec is not None:
            width = 5 + (2 if spec.party else 1) * len(spec.numbers)
            head = cell.sum[:8 * width]
            layout = spec_layout.get(id(spec), -1)
            if layout < 0:
                shape = (tuple(spec.numbers), spec.party)
                layout = layout_ids.get(shape, -1)
                if layout < 0:
                    layout = layout_ids[shape] = len(layouts)
                    layouts.append((spec.numbers, spec.party))
                spec_layout[id(spec)] = layout
        _level(desas, regions, contest, desa).add(cell, layout, head)
        d = dapil_at[contest].get(desa)
        if d is not None:
            level = dapil_levels.get(d)
            if level is None:
                level = dapil_levels[d] = _Level(dapils.setdefault(d, Agg()))
            level.add(cell, layout, head)
            if spec is not None and spec.flat:
                specs[d] = spec
                _add_into(dapil_cands, d, cell.sum[8 * width:])
    for depth, cut in enumerate(_PARENT_CUT):
        above = depths[depth + 1]
        for (contest, region), level in depths[depth].items():
            _level(above, regions, contest, region[:cut] if cut else NATIONAL).merge(level)
    levels = {key: level for depth in depths for key, level in depth.items()}
    for (contest, region), level in levels.items():
        # DPD numbers are per province: no national choices
        level.finish(layouts, not (contest == "dpd" and region == NATIONAL))
    for level in dapil_levels.values():
        level.finish(layouts, True)
    for d, votes in dapil_cands.items():
        flat = specs[d].flat_candidates
        dapils[d].candidates = dict(zip(flat, unpack(bytes(votes).ljust(8 * len(flat), b"\0")),
                                        strict=True))
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
    """Divisors 1, 3, 5, …; ties: more votes, then the lower ballot number; no vote, no seat.

    Quotients are compared exactly as integers: v / d scaled by the least common multiple
    of the divisors (Fractions cost seconds over a national election's dapils)."""
    scale = lcm(*range(1, 2 * seats, 2))
    quotients = [(v * (scale // (2 * k + 1)), v, -p, p) for p, v in votes.items() if v > 0
                 for k in range(seats)]
    quotients.sort(reverse=True)
    out: dict[int, int] = {}
    for *_, p in quotients[:seats]:
        out[p] = out.get(p, 0) + 1
    return out
