"""Dapil design: which regions vote together for which seats.

Always computed on the national tree (it only needs region-level DPT), then
restricted to the subtree being built, so seat counts never depend on scale.

* DPR: the 2024 number of dapil and seats per province; each dapil a run of
  whole kab/kota in code order (DKI Jakarta as in 2024, with the overseas
  voters in DKI JAKARTA II).
* DPD: one dapil per province, 4 seats (overseas voters vote in DKI's).
* DPRD provinsi / kab/kota: seats from the law's population bands; dapil are
  runs of kab/kota (of kecamatan) with 3–12 seats; a unit too big for one
  dapil is replaced by its children.

Seats within a grouping are split by largest remainder on DPT.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from saksi.election.catalog import (
    DPD_SEATS,
    PROVINCES,
    dprd_kabkota_seats,
    dprd_prov_seats,
    population_estimate,
)
from saksi.election.dpt import largest_remainder
from saksi.election.model import DKI_JAKARTA, OVERSEAS_PROVINCE, Contest, Dapil
from saksi.election.tree import RegionTree

DPRD_MIN_SEATS, DPRD_MAX_SEATS = 3, 12
DPR_MIN_SEATS, DPR_MAX_SEATS = 3, 10
# Average seats per dapil in 2024: 2,372/301 (provinsi), 17,510/2,325 (kab/kota).
DPRD_PROV_AVERAGE = 7.9
DPRD_KABKOTA_AVERAGE = 7.75
_PENALTY = 1e9

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def region_dpt(tree: RegionTree, village_dpt: dict[str, int]) -> dict[str, int]:
    """DPT of every region (villages summed upwards)."""
    totals: dict[str, int] = {}
    for village, dpt in village_dpt.items():
        for length in (2, 4, 6, 10):
            key = village[:length]
            totals[key] = totals.get(key, 0) + dpt
    return totals


def partition(quotas: Sequence[float], groups: int, lo: float, hi: float) -> list[int]:
    """Cut ``quotas`` (in order) into ``groups`` runs as even as the bounds allow.

    Returns the start index of each run. Dynamic programming over cut points;
    runs whose quota leaves [lo, hi] (±½ for rounding) are penalised, so a
    valid split is found whenever one exists.
    """
    n = len(quotas)
    groups = max(1, min(groups, n))
    prefix = [0.0]
    for q in quotas:
        prefix.append(prefix[-1] + q)
    mean = prefix[-1] / groups
    inf = math.inf
    best = [[inf] * (n + 1) for _ in range(groups + 1)]
    back = [[0] * (n + 1) for _ in range(groups + 1)]
    best[0][0] = 0.0
    for j in range(1, groups + 1):
        for end in range(j, n - (groups - j) + 1):
            found = inf
            for start in range(end - 1, j - 2, -1):
                seg = prefix[end] - prefix[start]
                previous = best[j - 1][start]
                if previous < inf:
                    cost = previous + (seg - mean) ** 2
                    if seg < lo - 0.5 or seg > hi + 0.5:
                        cost += _PENALTY
                    if cost < found:
                        found, back[j][end] = cost, start
                if seg > hi + 0.5 and found < inf:
                    break
            best[j][end] = found
    starts, end = [], n
    for j in range(groups, 0, -1):
        start = back[j][end]
        starts.append(start)
        end = start
    return starts[::-1]


def repair(seats: list[int], lo: int, hi: int) -> list[int]:
    """Move single seats from the largest to the smallest dapil until all fit."""
    seats = list(seats)
    for _ in range(10 * sum(seats) + 10):
        low = min(range(len(seats)), key=lambda i: (seats[i], i))
        high = max(range(len(seats)), key=lambda i: (seats[i], -i))
        if (seats[low] < lo and seats[high] > lo) or (seats[high] > hi and seats[low] < hi):
            seats[low] += 1
            seats[high] -= 1
        else:
            break
    return seats


def _expand(tree: RegionTree, units: list[str], dpt: dict[str, int], seats: int,
            hi: float) -> list[str]:
    """Replace units whose seat quota exceeds ``hi`` by their children, recursively."""
    whole = sum(dpt.get(u, 0) for u in units) or 1
    result: list[str] = []
    for unit in units:
        kids = [k for k in tree.kids(unit) if dpt.get(k, 0) > 0]
        if seats * dpt.get(unit, 0) / whole > hi + 0.5 and kids:
            share = round(seats * dpt[unit] / whole)
            result.extend(_expand(tree, kids, dpt, share, hi))
        else:
            result.append(unit)
    return result


def _group(units: list[str], dpt: dict[str, int], groups: int, seats: int,
           *, lo: int, hi: int) -> list[tuple[tuple[str, ...], int]]:
    weights = [dpt.get(u, 0) for u in units]
    whole = sum(weights) or 1
    starts = partition([seats * w / whole for w in weights], groups, lo, hi)
    runs = [tuple(units[a:b]) for a, b in zip(starts, [*starts[1:], len(units)], strict=True)]
    shares = largest_remainder(seats, [sum(dpt.get(u, 0) for u in run) for run in runs])
    return list(zip(runs, repair(shares, lo, hi), strict=True))


def _dpr_dki(tree: RegionTree, dpt: dict[str, int],
             seats: int) -> list[tuple[tuple[str, ...], int]]:
    """DKI Jakarta's 2024 DPR dapil: I Jakarta Timur; II Pusat, Selatan and
    overseas; III Barat, Utara and Kepulauan Seribu."""
    runs: list[list[str]] = [[], [], []]
    for kab in tree.kids(DKI_JAKARTA):
        name = tree.names[kab]
        central = "PUSAT" in name or "SELATAN" in name
        runs[0 if "TIMUR" in name else 1 if central else 2].append(kab)
    if OVERSEAS_PROVINCE in tree.names:
        runs[1].append(OVERSEAS_PROVINCE)
    shares = largest_remainder(seats, [sum(dpt.get(u, 0) for u in run) for run in runs])
    return list(zip((tuple(r) for r in runs), repair(shares, DPR_MIN_SEATS, DPR_MAX_SEATS),
                    strict=True))


def _groups_for(seats: int, average: float) -> int:
    low, high = math.ceil(seats / DPRD_MAX_SEATS), max(1, seats // DPRD_MIN_SEATS)
    return min(max(round(seats / average), low), high)


def _dprd_dapils(tree: RegionTree, dpt: dict[str, int], area: str, name: str, *, seats: int,
                 contest: Contest, average: float) -> list[Dapil]:
    """The DPRD dapil of one province or kab/kota: its children (split further
    where one is too big for a dapil) grouped into 3–12-seat districts."""
    units = _expand(tree, tree.kids(area), dpt, seats, DPRD_MAX_SEATS)
    plan = _group(units, dpt, _groups_for(seats, average), seats,
                  lo=DPRD_MIN_SEATS, hi=DPRD_MAX_SEATS)
    return [Dapil(f"{contest.value}-{area}-{i:02d}", contest, f"{name} {i}", n, regions)
            for i, (regions, n) in enumerate(plan, start=1)]


def design(tree: RegionTree, village_dpt: dict[str, int]) -> list[Dapil]:
    """Every dapil of every contest on the national tree."""
    dpt = region_dpt(tree, village_dpt)
    result: list[Dapil] = []
    provinces = [p for p in tree.kids("0") if p in PROVINCES]
    for province in provinces:
        pname, _dpt, dpr_groups, dpr_seats = PROVINCES[province]
        # DPR
        if province == DKI_JAKARTA:
            plan = _dpr_dki(tree, dpt, dpr_seats)
        else:
            units = tree.kids(province)
            if len(units) < dpr_groups:
                units = [k for u in units for k in tree.kids(u)]
            plan = _group(units, dpt, dpr_groups, dpr_seats, lo=DPR_MIN_SEATS, hi=DPR_MAX_SEATS)
        for i, (regions, seats) in enumerate(plan, start=1):
            name = pname if len(plan) == 1 else f"{pname} {_ROMAN[i - 1]}"
            result.append(Dapil(f"dpr-{province}-{i:02d}", Contest.DPR, name, seats, regions))
        # DPD
        dpd_regions = (province, OVERSEAS_PROVINCE) if (
            province == DKI_JAKARTA and OVERSEAS_PROVINCE in tree.names) else (province,)
        result.append(Dapil(f"dpd-{province}", Contest.DPD, pname, DPD_SEATS, dpd_regions))
        # DPRD provinsi
        seats = dprd_prov_seats(province, population_estimate(dpt.get(province, 0)))
        result.extend(_dprd_dapils(tree, dpt, province, pname, seats=seats,
                                   contest=Contest.DPRD_PROV, average=DPRD_PROV_AVERAGE))
        # DPRD kab/kota (none in DKI Jakarta, whose cities have no council)
        if province == DKI_JAKARTA:
            continue
        for kab in tree.kids(province):
            if dpt.get(kab, 0) == 0:
                continue
            seats = dprd_kabkota_seats(province, population_estimate(dpt[kab]))
            result.extend(_dprd_dapils(tree, dpt, kab, tree.names[kab], seats=seats,
                                       contest=Contest.DPRD_KABKOTA,
                                       average=DPRD_KABKOTA_AVERAGE))
    return result


def touches(dapil: Dapil, region: str) -> bool:
    """Whether ``dapil`` has voters inside ``region`` (or ``region`` inside it)."""
    return region == "0" or any(r.startswith(region) or region.startswith(r)
                                for r in dapil.regions)
