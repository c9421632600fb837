"""A small hand-built election shape and sheet builders for the tally tests."""

from __future__ import annotations

import random

import msgspec

from saksi.election.model import (
    Ballot,
    Candidate,
    Contest,
    Dapil,
    Level,
    Party,
    PartyList,
    Region,
    Ticket,
    Tps,
)
from saksi.keys.ids import Role
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import Sheet
from saksi.tally.counts import counts_of
from saksi.tally.shape import Shape, TpsShape, chain_of, contests_held
from saksi.tally.tally import Tally
from saksi.tally.versions import SheetVersion

TICKETS = (Ticket(1, "A", "a"), Ticket(2, "B", "b"), Ticket(3, "C", "c"))
PARTIES = tuple(Party(n, f"P{n}", f"Partai {n}", False) for n in (1, 2, 3, 4, 5))

_REGIONS = [
    ("31", "DKI JAKARTA", Level.PROVINSI, "0"),
    ("3171", "JAKARTA SELATAN", Level.KABKOTA, "31"),
    ("317101", "KEBAYORAN", Level.KECAMATAN, "3171"),
    ("3171011001", "SENAYAN", Level.DESA, "317101"),
    ("32", "JAWA BARAT", Level.PROVINSI, "0"),
    ("3273", "KOTA BANDUNG", Level.KABKOTA, "32"),
    ("327301", "SUKASARI", Level.KECAMATAN, "3273"),
    ("3273011001", "GEGERKALONG", Level.DESA, "327301"),
    ("3273011002", "ISOLA", Level.DESA, "327301"),
    ("327302", "COBLONG", Level.KECAMATAN, "3273"),
    ("3273021001", "DAGO", Level.DESA, "327302"),
    ("3274", "KOTA CIREBON", Level.KABKOTA, "32"),
    ("327401", "KEJAKSAN", Level.KECAMATAN, "3274"),
    ("3274011001", "KESENDEN", Level.DESA, "327401"),
    ("99", "LUAR NEGERI", Level.PROVINSI, "0"),
    ("9901", "KUALA LUMPUR", Level.KABKOTA, "99"),
    ("990101", "KUALA LUMPUR", Level.KECAMATAN, "9901"),
    ("9901011001", "KUALA LUMPUR", Level.DESA, "990101"),
]
REGIONS = tuple(Region(c, n, lv, p) for c, n, lv, p in _REGIONS)

DAPILS = (
    Dapil("dpr-31-01", Contest.DPR, "DKI II", 7, ("31", "99")),
    Dapil("dpr-32-01", Contest.DPR, "JABAR I", 3, ("3273",)),
    Dapil("dpr-32-02", Contest.DPR, "JABAR VIII", 4, ("3274",)),
    Dapil("dpd-31", Contest.DPD, "DKI JAKARTA", 4, ("31", "99")),
    Dapil("dpd-32", Contest.DPD, "JAWA BARAT", 4, ("32",)),
    Dapil("dprd-prov-31-01", Contest.DPRD_PROV, "DKI 1", 5, ("3171",)),
    Dapil("dprd-prov-32-01", Contest.DPRD_PROV, "JABAR 1", 6, ("3273",)),
    Dapil("dprd-prov-32-02", Contest.DPRD_PROV, "JABAR 2", 3, ("3274",)),
    Dapil("dprd-kabkota-3273-01", Contest.DPRD_KABKOTA, "BANDUNG 1", 5, ("327301",)),
    Dapil("dprd-kabkota-3273-02", Contest.DPRD_KABKOTA, "BANDUNG 2", 4, ("327302",)),
    Dapil("dprd-kabkota-3274-01", Contest.DPRD_KABKOTA, "CIREBON 1", 6, ("3274",)),
)


def _candidates(d: Dapil) -> tuple[Candidate, ...]:
    if d.contest is Contest.DPD:
        return tuple(Candidate(d.code, None, n, f"DPD {d.code} {n}", "LP"[n % 2])
                     for n in range(1, 7))
    return tuple(Candidate(d.code, p.number, n, f"{p.abbreviation}-{d.code}-{n}", "LP"[n % 2])
                 for p in PARTIES for n in range(1, 4))


CANDIDATES = {d.code: _candidates(d) for d in DAPILS}
TPS_CODES = ("3171011001001", "3171011001002", "3273011001001", "3273011001002",
             "3273011002001", "3273021001001", "3274011001001", "9901011001001")


def _dapil_of(code: str, contest: Contest) -> str:
    for level_code in chain_of(code)[:-1]:  # deepest first
        for d in DAPILS:
            if d.contest is contest and level_code in d.regions:
                return d.code
    raise AssertionError(f"no dapil for {code} {contest}")


def tps_shapes() -> list[TpsShape]:
    out = []
    for i, code in enumerate(TPS_CODES):
        contests = contests_held(code)
        out.append(TpsShape(code, f"TPS {code[10:]}", 200 + 7 * i, contests,
                            {c: _dapil_of(code, c) for c in contests if c is not Contest.PPWP}))
    return out


def small_shape() -> Shape:
    return Shape.build(regions=REGIONS, tps=tps_shapes(), dapils=DAPILS, candidates=CANDIDATES,
                       tickets=TICKETS, parties=PARTIES)


def ballot(shape: Shape, tps: str, contest: Contest) -> Ballot:
    if contest is Contest.PPWP:
        return Ballot(tps, contest, None, tickets=shape.tickets)
    d = shape.dapils[shape.tps[tps].dapil[contest]]
    cands = shape.candidates[d.code]
    if contest is Contest.DPD:
        return Ballot(tps, contest, d, candidates=cands)
    return Ballot(tps, contest, d, parties=tuple(
        PartyList(p, tuple(c for c in cands if c.party == p.number)) for p in shape.parties))


def sheet_for(shape: Shape, tps: str, contest: Contest, seed: int, revision: int = 1,
              reason: str | None = None) -> Sheet:
    t = shape.tps[tps]
    sheet = generate_sheet(ballot(shape, tps, contest),
                           Tps(tps, t.name, t.dpt // 2, t.dpt - t.dpt // 2),
                           random.Random(seed), revision=revision)
    if reason is not None:
        sheet = msgspec.structs.replace(sheet, reason=reason)
    return sheet


class Version(SheetVersion, frozen=True, kw_only=True):
    """A version that remembers its sheet, for references computed from sheets."""

    sheet: Sheet


def counts(shape: Shape, sheet: Sheet) -> list[int]:
    """The sheet's counts as the tally lays them out ([] for a TPS not in ``shape``)."""
    t = shape.tps.get(sheet.tps)
    if t is None:
        return []
    return counts_of(sheet, Tally(shape).layout(sheet.contest, t.dapil.get(sheet.contest)))


def version(index: int, sheet: Sheet, *, ppk: bool = False, flagged: bool = False,
            flags: tuple[str, ...] = (), shape: Shape | None = None) -> Version:
    return Version(
        index=index, leaf_hash=f"{index:064x}", signer="ppk-key" if ppk else f"dev-{sheet.tps}",
        role=Role.KECAMATAN if ppk else Role.DEVICE, flagged=flagged,
        flags=flags or (("CH-VALID-SUM",) if flagged else ()), tps=sheet.tps,
        contest=sheet.contest, revision=sheet.revision, reason=sheet.reason,
        counts=counts(shape or _default_shape(), sheet), time="2024-02-14T13:00:00Z",
        sheet=sheet)


_SHAPES: list[Shape] = []


def _default_shape() -> Shape:
    if not _SHAPES:
        _SHAPES.append(small_shape())
    return _SHAPES[0]
