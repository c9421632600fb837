"""The shape of an election as the tally needs it: every TPS with its region
chain, the contests held there and its dapil per contest, plus the names the
published documents show.

A TPS's chain is read off its code (desa = first 10 characters, kecamatan 6,
kab/kota 4, province 2, then national ``"0"``), so the shape stores per TPS
only its name, DPT and dapil codes. :func:`shape_from_election` builds it from
an election directory with one pass over the TPS and one over the dapil — never
a per-TPS dapil query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from saksi.election.model import (
    DKI_JAKARTA,
    OVERSEAS_PROVINCE,
    Candidate,
    Contest,
    Dapil,
    Level,
    Party,
    Region,
    Ticket,
)
from saksi.errors import NotFoundError, StateError

if TYPE_CHECKING:
    from saksi.election import Election

NATIONAL = "0"
NATIONAL_REGION = Region(NATIONAL, "INDONESIA", Level.NASIONAL, "")


def chain_of(tps_code: str) -> tuple[str, str, str, str, str]:
    """desa, kecamatan, kab/kota, province, national — nearest first."""
    return (tps_code[:10], tps_code[:6], tps_code[:4], tps_code[:2], NATIONAL)


_OVERSEAS_CONTESTS = (Contest.PPWP, Contest.DPR, Contest.DPD)
_JAKARTA_CONTESTS = (Contest.PPWP, Contest.DPR, Contest.DPD, Contest.DPRD_PROV)
_ALL_CONTESTS = tuple(Contest)


def contests_held(tps_code: str) -> tuple[Contest, ...]:
    """Five contests; four in DKI Jakarta (no DPRD kab/kota); three abroad."""
    if tps_code.startswith(OVERSEAS_PROVINCE):
        return _OVERSEAS_CONTESTS
    if tps_code.startswith(DKI_JAKARTA):
        return _JAKARTA_CONTESTS
    return _ALL_CONTESTS


@dataclass(frozen=True, slots=True)
class TpsShape:
    code: str
    name: str
    dpt: int
    contests: tuple[Contest, ...]
    dapil: Mapping[Contest, str]  # every contest held except ppwp

    @property
    def chain(self) -> tuple[str, str, str, str, str]:
        return chain_of(self.code)


@dataclass(slots=True)
class Shape:
    """Read-only after construction (the tally shares it, never changes it)."""

    regions: dict[str, Region]
    tps: dict[str, TpsShape]
    dapils: dict[str, Dapil]
    candidates: dict[str, tuple[Candidate, ...]]  # by dapil code
    tickets: tuple[Ticket, ...]
    parties: tuple[Party, ...]
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region → regions
    tps_of_desa: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expected: dict[tuple[Contest, str], int] = field(default_factory=dict)  # by region
    expected_dapil: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""
    # dapils_in answers, memoised: the shape never changes and renderers ask
    # the same (contest, region) on every re-render.
    _dapils_in: dict[tuple[Contest, str], list[str]] = field(
        default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, *, regions: Iterable[Region], tps: Iterable[TpsShape],
              dapils: Iterable[Dapil], candidates: Mapping[str, Iterable[Candidate]],
              tickets: Iterable[Ticket], parties: Iterable[Party]) -> Shape:
        """Check and index the parts: every TPS's chain and dapil must exist."""
        region_map = {NATIONAL: NATIONAL_REGION}
        region_map.update((r.code, r) for r in regions)
        dapil_map = {d.code: d for d in dapils}
        tps_map: dict[str, TpsShape] = {}
        children: dict[str, list[str]] = {}
        for r in sorted(region_map.values(), key=lambda r: r.code):
            if r.code != NATIONAL:
                if r.parent not in region_map:
                    raise StateError(f"induk wilayah {r.code} tidak ada",
                                     f"the parent of region {r.code} is missing")
                children.setdefault(r.parent, []).append(r.code)
        by_desa: dict[str, list[str]] = {}
        # Counted per (contest, desa), then rolled up the chain: a few million
        # dict updates fewer for a national election.
        per_desa: dict[tuple[Contest, str], int] = {}
        per_pair: dict[tuple[str, tuple[Contest, ...], int], list[Any]] = {}
        expected_dapil: dict[str, int] = {}
        for t in sorted(tps, key=lambda t: t.code):
            desa = t.code[:10]
            members = by_desa.get(desa)
            if members is None:
                for code in chain_of(t.code):
                    if code not in region_map:
                        raise StateError(f"wilayah {code} dari TPS {t.code} tidak ada",
                                         f"region {code} of TPS {t.code} is missing")
                members = by_desa[desa] = []
            # TPS of a desa usually share one (contests, dapil) pair: check
            # and count each distinct pair once per desa (ids are stable
            # while every TPS is alive, as they are here).
            pair = (desa, t.contests, id(t.dapil))
            seen = per_pair.get(pair)
            if seen is None:
                for contest in t.contests:
                    if contest is not Contest.PPWP:
                        dapil = t.dapil.get(contest)
                        if dapil is None or dapil not in dapil_map \
                                or dapil_map[dapil].contest is not contest:
                            raise StateError(f"TPS {t.code} tanpa dapil {contest}",
                                             f"TPS {t.code} has no {contest} dapil")
                per_pair[pair] = [t, 1]
            else:
                seen[1] += 1
            tps_map[t.code] = t
            members.append(t.code)
        for (desa, contests, _), (t, n) in per_pair.items():
            for contest in contests:
                if contest is not Contest.PPWP:
                    dapil = t.dapil[contest]
                    expected_dapil[dapil] = expected_dapil.get(dapil, 0) + n
                key = (contest, desa)
                per_desa[key] = per_desa.get(key, 0) + n
        expected: dict[tuple[Contest, str], int] = {}
        for (contest, desa), n in per_desa.items():
            for code in chain_of(desa):
                key = (contest, code)
                expected[key] = expected.get(key, 0) + n
        shape = cls(region_map, tps_map, dapil_map,
                    {d: tuple(candidates.get(d, ())) for d in dapil_map},
                    tuple(sorted(tickets, key=lambda t: t.number)),
                    tuple(sorted(parties, key=lambda p: p.number)),
                    {k: tuple(v) for k, v in children.items()},
                    {k: tuple(v) for k, v in by_desa.items()}, expected, expected_dapil)
        shape.fingerprint = shape._digest()
        return shape

    def _digest(self) -> str:
        # Enough to refuse restoring a snapshot onto a different election.
        h = hashlib.sha256(b"saksi/tally-shape/v1\n")
        # The "contests|dapil" text of a TPS, once per shared mapping.
        tails: dict[tuple[tuple[Contest, ...], int], str] = {}
        for t in self.tps.values():
            tail = tails.get((t.contests, id(t.dapil)))
            if tail is None:
                dapil = ",".join(f"{c}={d}" for c, d in sorted(t.dapil.items()))
                tail = tails[t.contests, id(t.dapil)] = f"{','.join(t.contests)}|{dapil}\n"
            h.update(f"{t.code}|{t.dpt}|{tail}".encode())
        for d in sorted(self.dapils.values(), key=lambda d: d.code):
            h.update(f"{d.code}|{d.contest}|{d.seats}\n".encode())
        return h.hexdigest()

    # --- lookups ---------------------------------------------------------
    def region(self, code: str) -> Region:
        region = self.regions.get(code)
        if region is None:
            raise NotFoundError("region", code, "wilayah tidak ada dalam pemilu ini",
                                "no such region in this election")
        return region

    def tps_shape(self, code: str) -> TpsShape:
        t = self.tps.get(code)
        if t is None:
            raise NotFoundError("tps", code, "TPS tidak ada dalam pemilu ini",
                                "no such TPS in this election")
        return t

    def dapil(self, code: str) -> Dapil:
        d = self.dapils.get(code)
        if d is None:
            raise NotFoundError("dapil", code, "dapil tidak ada dalam pemilu ini",
                                "no such dapil in this election")
        return d

    def dapil_province(self, code: str) -> str:
        """The province a dapil belongs to (overseas votes count in DKI Jakarta's)."""
        provinces = sorted({r[:2] for r in self.dapil(code).regions})
        domestic = [p for p in provinces if p != OVERSEAS_PROVINCE]
        return (domestic or provinces)[0]

    def dapils_in(self, contest: Contest, region: str) -> list[str]:
        """The dapil of ``contest`` that hold at least one TPS of ``region``."""
        memo = self._dapils_in.get((contest, region))
        if memo is None:
            memo = self._dapils_in[contest, region] = self._find_dapils(contest, region)
        return list(memo)

    def _find_dapils(self, contest: Contest, region: str) -> list[str]:
        found: set[str] = set()
        for d in self.dapils.values():
            if d.contest is contest and any(
                    region == NATIONAL or r.startswith(region) or region.startswith(r)
                    for r in d.regions):
                found.add(d.code)
        return sorted(c for c in found if self.expected_dapil.get(c))


def shape_from_election(election: Election) -> Shape:
    """The shape of a built election, with one SQL pass per kind of row."""
    regions: list[Region] = []
    frontier = [NATIONAL]
    while frontier:  # breadth-first: one indexed query per region with children
        code = frontier.pop()
        for child in election.children(code):
            regions.append(child)
            if child.level is not Level.DESA:
                frontier.append(child.code)
    dapils: list[Dapil] = []
    by_region: dict[tuple[Contest, str], str] = {}
    candidates: dict[str, list[Candidate]] = {}
    for contest in Contest:
        if contest is Contest.PPWP:
            continue
        for d in election.dapils(contest):
            dapils.append(d)
            candidates[d.code] = election.candidates(d.code)
            for r in d.regions:
                by_region[contest, r] = d.code
    tps: list[TpsShape] = []
    # Every TPS of a desa holds the same contests in the same dapil: one
    # mapping per desa, shared.
    of_desa: dict[str, dict[Contest, str]] = {}
    for t in election.iter_tps():
        contests = contests_held(t.code)
        desa = t.code[:10]
        dapil = of_desa.get(desa)
        if dapil is None:
            dapil = of_desa[desa] = {}
            ancestry = (desa, desa[:6], desa[:4], desa[:2])
            for contest in contests:
                if contest is Contest.PPWP:
                    continue
                for code in ancestry:  # the deepest region named by a dapil wins
                    found = by_region.get((contest, code))
                    if found is not None:
                        dapil[contest] = found
                        break
        tps.append(TpsShape(t.code, t.name, t.dpt, contests, dapil))
    return Shape.build(regions=regions, tps=tps, dapils=dapils, candidates=candidates,
                       tickets=election.tickets, parties=election.parties)


__all__ = ["NATIONAL", "Shape", "TpsShape", "chain_of", "contests_held", "shape_from_election"]
