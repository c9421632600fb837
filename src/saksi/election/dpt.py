"""The voter register (DPT) of every TPS, generated deterministically.

Every random draw comes from a generator seeded by ``blake2b(seed, code)``
of the village (or mission) it belongs to, so a TPS gets the same DPT
whatever subtree is being built. National figures are fixed first (each
province's share of the 2024 domestic DPT), then spread over villages by a
per-village weight, so totals do not drift with the seed.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence

from saksi.election.catalog import (
    DOMESTIC_DPT_2024,
    OVERSEAS_DPT_2024,
    OVERSEAS_MISSIONS,
    PROVINCES,
)
from saksi.election.model import MAX_DPT_PER_TPS, OVERSEAS_PROVINCE
from saksi.election.tree import RegionTree

# (number, name, dpt_l, dpt_p) of one TPS, POS or KSK in a village.
Unit = tuple[int, str, int, int]

TARGET_PER_TPS = 248.4  # 203 M voters over ~820 k TPS
MIN_VILLAGE_DPT = 60
URBAN_FACTOR = 2.2  # kelurahan (village codes with a "1" after the district) are denser


def digest(seed: int, *parts: str) -> bytes:
    text = "\x1f".join((str(seed), *parts)).encode()
    return hashlib.blake2b(text, digest_size=16, person=b"saksi-election").digest()


def rng_for(seed: int, *parts: str) -> random.Random:
    # Reproducible simulation, not secrecy: a seeded Mersenne Twister is right here.
    return random.Random(int.from_bytes(digest(seed, *parts), "big"))


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (Hare quota, ties to the earlier)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [total * w / whole for w in weights]
    shares = [math.floor(q) for q in quotas]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def _village_weight(seed: int, village: str) -> float:
    raw = digest(seed, "village", village)
    u1 = (int.from_bytes(raw[:8], "big") + 1) / 2.0**64
    u2 = int.from_bytes(raw[8:], "big") / 2.0**64
    normal = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    weight = math.exp(0.55 * normal)
    return weight * URBAN_FACTOR if village[6] == "1" else weight


def builtin_village_dpt(tree: RegionTree, seed: int) -> dict[str, int]:
    """DPT of every domestic village of the built-in tree (national, any scale)."""
    provinces = [p for p in tree.kids("0") if p in PROVINCES]
    province_dpt = largest_remainder(DOMESTIC_DPT_2024, [PROVINCES[p][1] for p in provinces])
    result: dict[str, int] = {}
    for province, total in zip(provinces, province_dpt, strict=True):
        villages = list(tree.villages(province))
        spread = largest_remainder(total - MIN_VILLAGE_DPT * len(villages),
                                   [_village_weight(seed, v) for v in villages])
        for village, share in zip(villages, spread, strict=True):
            result[village] = share + MIN_VILLAGE_DPT
    return result


def _sex_split(rng: random.Random, dpt: int) -> tuple[int, int]:
    men = round(dpt * (0.4995 + (rng.random() - 0.5) * 0.06))
    men = min(max(men, 0), dpt)
    return men, dpt - men


def _spread(rng: random.Random, total: int, count: int, cap: int) -> list[int]:
    """``total`` voters over ``count`` units of at most ``cap``, with some jitter."""
    sizes = largest_remainder(total, [0.85 + 0.3 * rng.random() for _ in range(count)])
    excess = sum(max(0, s - cap) for s in sizes)
    sizes = [min(s, cap) for s in sizes]
    i = 0
    while excess:  # feasible: total <= count * cap by construction
        room = min(cap - sizes[i], excess)
        sizes[i] += room
        excess -= room
        i += 1
    return sizes


def builtin_village_units(seed: int, village: str, dpt: int) -> list[Unit]:
    """The TPS of a domestic village holding ``dpt`` voters."""
    count = max(1, round(dpt / TARGET_PER_TPS), math.ceil(dpt / MAX_DPT_PER_TPS))
    rng = rng_for(seed, "tps", village)
    units = []
    for number, size in enumerate(_spread(rng, dpt, count, MAX_DPT_PER_TPS), start=1):
        men, women = _sex_split(rng, size)
        units.append((number, f"TPS {number:03d}", men, women))
    return units


# Overseas voters by kind of unit: share of a mission's voters, mean size.
# POS (postal voting) registers are large; TPS and KSK keep the 300 cap.
_OVERSEAS_KINDS = (("POS", 0.65, 1500), ("TPS", 0.20, 270), ("KSK", 0.15, 250))
_POS_CAP = 6000


def builtin_mission_dpt(tree: RegionTree) -> dict[str, int]:
    villages = list(tree.villages(OVERSEAS_PROVINCE))
    weight_of = dict(OVERSEAS_MISSIONS)
    weights = [weight_of.get(tree.names[v], 1.0) for v in villages]
    return dict(zip(villages, largest_remainder(OVERSEAS_DPT_2024, weights), strict=True))


def builtin_mission_units(seed: int, village: str, dpt: int) -> list[Unit]:
    """POS, TPS and KSK of one mission, numbered in that order like KPU's list."""
    rng = rng_for(seed, "tps", village)
    kinds = _OVERSEAS_KINDS if dpt >= 3000 else _OVERSEAS_KINDS[:2]
    shares = largest_remainder(dpt, [share for _, share, _ in kinds])
    units: list[Unit] = []
    for (kind, _share, mean), voters in zip(kinds, shares, strict=True):
        cap = _POS_CAP if kind == "POS" else MAX_DPT_PER_TPS
        count = max(1, round(voters / mean), math.ceil(voters / cap))
        for i, size in enumerate(_spread(rng, voters, count, cap), start=1):
            men, women = _sex_split(rng, size)
            units.append((len(units) + 1, f"{kind} {i:03d}", men, women))
    return units


def kpu_village_units(seed: int, village: str, listed: Sequence[tuple[int, str]]) -> list[Unit]:
    """DPT for TPS that KPU's list names (the list itself has no DPT)."""
    rng = rng_for(seed, "tps", village)
    units = []
    for number, name in listed:
        if name.startswith("POS"):
            size = 300 + int(rng.random() * 1500)
        elif village.startswith(OVERSEAS_PROVINCE):
            size = 80 + int(rng.random() * 221)
        else:  # mean ~247.5: 820,161 TPS hold ~203 M voters
            size = min(MAX_DPT_PER_TPS, 176 + int((rng.random() + rng.random()) * 72.5))
        men, women = _sex_split(rng, size)
        units.append((number, name, men, women))
    return units


def village_units(tree: RegionTree, seed: int, village: str, dpt: dict[str, int]) -> list[Unit]:
    """The TPS of ``village`` for either source (``dpt``: built-in village totals)."""
    if tree.tps is not None:
        return kpu_village_units(seed, village, tree.tps.get(village, ()))
    if village.startswith(OVERSEAS_PROVINCE):
        return builtin_mission_units(seed, village, dpt[village])
    return builtin_village_units(seed, village, dpt[village])


def village_totals(tree: RegionTree, seed: int) -> dict[str, int]:
    """DPT of every village in the national tree (drives seat and dapil design)."""
    if tree.tps is None:
        totals = builtin_village_dpt(tree, seed)
        totals.update(builtin_mission_dpt(tree))
        return totals
    return {v: sum(u[2] + u[3] for u in kpu_village_units(seed, v, units))
            for v, units in tree.tps.items()}
