"""Realistic, rule-abiding C.Hasil sheets for simulations, demos and tests.

Deterministic: the same (seed, TPS, contest) always gives the same sheet.
Regional patterns (party strength per province, candidate popularity per
dapil) are derived from the region/dapil code alone, so neighbouring TPS
agree with each other the way real ones do; each TPS then adds its own
Dirichlet-like noise.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
from collections.abc import Sequence

from saksi.election.model import ACEH, OVERSEAS_PROVINCE, Ballot, Contest, Tps
from saksi.sheets.model import (
    LPJ,
    SCHEMA,
    Ballots,
    Entry,
    PartyVotes,
    Sheet,
    Totals,
    Voters,
    Votes,
)
from saksi.sheets.rules import reserve
from saksi.sheets.shares import (
    ACEH_LOCAL_SHARES,
    NATIONAL_TICKET_SHARES,
    PARTY_SHARES,
    TICKET_SHARES,
    UNKNOWN_PARTY_SHARE,
)

__all__ = ["generate_sheet", "rng_for"]

Seed = int | str | bytes


def rng_for(seed: Seed, *parts: str | bytes) -> random.Random:
    """A generator seeded from ``seed`` and the given labels (BLAKE2b, 128 bits)."""
    h = hashlib.blake2b(digest_size=16)
    pieces = [seed if isinstance(seed, bytes) else str(seed).encode()]
    pieces += [p if isinstance(p, bytes) else p.encode() for p in parts]
    for data in pieces:
        h.update(len(data).to_bytes(4, "big") + data)
    # Simulation, not secrecy: a seeded PRNG is what makes sheets reproducible.
    return random.Random(int.from_bytes(h.digest(), "big"))


def _dirichlet(rng: random.Random, weights: Sequence[float], concentration: float) -> list[float]:
    # concentration = sum of the Dirichlet parameters: higher means less noise.
    scale = concentration / (sum(weights) or 1.0)
    draws = [rng.gammavariate(max(w * scale, 1e-3), 1.0) for w in weights]
    total = sum(draws) or 1.0
    return [d / total for d in draws]


def _multinomial(rng: random.Random, n: int, weights: Sequence[float]) -> list[int]:
    counts = [0] * len(weights)
    if n <= 0 or not weights:
        return counts
    if sum(weights) <= 0:
        weights = [1.0] * len(weights)
    for i in rng.choices(range(len(weights)), weights=weights, k=n):
        counts[i] += 1
    return counts


def _binomial(rng: random.Random, n: int, p: float) -> int:
    # A normal approximation is plenty for n ≤ 300 and keeps generation fast.
    if n <= 0:
        return 0
    x = round(rng.gauss(n * p, math.sqrt(max(n * p * (1 - p), 1e-9))))
    return min(max(x, 0), n)


def _voters(rng: random.Random, tps: Tps) -> Voters:
    overseas = tps.province == OVERSEAS_PROVINCE
    turnout = rng.uniform(0.25, 0.6) if overseas else rng.uniform(0.75, 0.9)
    b1l = _binomial(rng, tps.dpt_l, turnout)
    b1p = _binomial(rng, tps.dpt_p, turnout)
    # DPTb/DPK voters use the 2% reserve and the ballots of DPT no-shows;
    # never more than the ballots the TPS received.
    slack = tps.dpt - b1l - b1p + reserve(tps.dpt)
    extra: list[int] = []
    for most in (4, 4, 2, 2):  # B2.L, B2.P, B3.L, B3.P
        k = min(rng.randint(0, most) if rng.random() < 0.6 else 0, slack)
        extra.append(k)
        slack -= k
    b2l, b2p, b3l, b3p = extra

    def row(l_: int, p_: int) -> LPJ:
        return LPJ(L=l_, P=p_, J=l_ + p_)

    return Voters(
        A=row(tps.dpt_l, tps.dpt_p), B1=row(b1l, b1p), B2=row(b2l, b2p), B3=row(b3l, b3p),
        B4=row(b1l + b2l + b3l, b1p + b2p + b3p),
    )


@functools.lru_cache(maxsize=1024)
def _regional_strength(province: str) -> dict[int, float]:
    # A pure function of the province: drawn once, not once per sheet.
    regional = rng_for(b"party-region", province)
    return {n: s * regional.lognormvariate(0.0, 0.45) for n, s in PARTY_SHARES.items()}


def _party_weights(ballot: Ballot, province: str) -> list[float]:
    national = _regional_strength(province)
    numbers = [pl.party.number for pl in ballot.parties]
    aceh_local = province == ACEH and ballot.contest in (Contest.DPRD_PROV,
                                                         Contest.DPRD_KABKOTA)
    local_total = sum(ACEH_LOCAL_SHARES.get(n, 0.0) for n in numbers) if aceh_local else 0.0
    nat_sum = sum(national.get(n, 0.0) for n in numbers if n not in ACEH_LOCAL_SHARES) or 1.0
    weights = []
    for pl in ballot.parties:
        n = pl.party.number
        if aceh_local and n in ACEH_LOCAL_SHARES:
            weights.append(ACEH_LOCAL_SHARES[n])
        elif n in national and not pl.party.local:
            weights.append(national[n] * (100.0 - local_total) / nat_sum)
        else:
            weights.append(UNKNOWN_PARTY_SHARE)
    return weights


@functools.lru_cache(maxsize=1 << 17)
def _popularity(scope: str, key: str) -> float:
    # Pure in (scope, key); re-seeding a generator per candidate per sheet
    # was most of the cost of generating a sheet.
    return rng_for(b"candidate", scope, key).lognormvariate(0.0, 1.0)


def _party_votes(rng: random.Random, ballot: Ballot, tps: Tps, valid: int) -> Votes:
    weights = _dirichlet(rng, _party_weights(ballot, tps.province), 40.0)
    per_party = _multinomial(rng, valid, weights)
    scope = ballot.dapil.code if ballot.dapil else tps.province
    blocks = []
    for pl, n in zip(ballot.parties, per_party, strict=True):
        # Party-only votes are a sizeable part; list number 1 draws more.
        own_share = rng.uniform(0.15, 0.5) if pl.candidates else 1.0
        own = _binomial(rng, n, own_share)
        pop = [_popularity(scope, f"{pl.party.number}/{c.number}") * (2.5 if c.number == 1
               else 1.0) for c in pl.candidates]
        counts = _multinomial(rng, n - own, _dirichlet(rng, pop, 8.0 * len(pop) or 1.0))
        blocks.append(PartyVotes(
            number=pl.party.number, party_votes=own,
            candidates=tuple(Entry(number=c.number, votes=k)
                             for c, k in zip(pl.candidates, counts, strict=True)),
            total=n,
        ))
    return Votes(parties=tuple(blocks))


def _section_iv(rng: random.Random, ballot: Ballot, tps: Tps, valid: int) -> Votes:
    if ballot.contest is Contest.PPWP:
        base = TICKET_SHARES.get(tps.province, NATIONAL_TICKET_SHARES)
        weights = [base[t.number - 1] if 1 <= t.number <= len(base) else 5.0
                   for t in ballot.tickets]
        counts = _multinomial(rng, valid, _dirichlet(rng, weights, 60.0))
        return Votes(tickets=tuple(Entry(number=t.number, votes=k)
                                   for t, k in zip(ballot.tickets, counts, strict=True)))
    if ballot.contest is Contest.DPD:
        scope = ballot.dapil.code if ballot.dapil else tps.province
        pop = [_popularity(scope, f"dpd/{c.number}") for c in ballot.candidates]
        counts = _multinomial(rng, valid, _dirichlet(rng, pop, 6.0 * len(pop) or 1.0))
        return Votes(candidates=tuple(Entry(number=c.number, votes=k)
                                      for c, k in zip(ballot.candidates, counts, strict=True)))
    return _party_votes(rng, ballot, tps, valid)


def generate_sheet(
    ballot: Ballot, tps: Tps, seed: Seed | random.Random = 0, *, revision: int = 1
) -> Sheet:
    """A plausible sheet for ``ballot`` at ``tps`` that satisfies every rule."""
    rng = seed if isinstance(seed, random.Random) else rng_for(seed, tps.code, ballot.contest)
    voters = _voters(rng, tps)
    used = voters.B4.J
    received = tps.dpt + reserve(tps.dpt)
    damaged = min(rng.randint(0, 3) if rng.random() < 0.4 else 0, received - used)
    disabled_l = min(voters.B4.L, rng.randint(0, 2) if rng.random() < 0.5 else 0)
    disabled_p = min(voters.B4.P, rng.randint(0, 2) if rng.random() < 0.5 else 0)
    has_entries = bool(ballot.tickets or ballot.candidates or ballot.parties)
    invalid = _binomial(rng, used, rng.uniform(0.01, 0.05)) if has_entries else used
    valid = used - invalid
    return Sheet(
        schema=SCHEMA,
        contest=ballot.contest,
        tps=tps.code,
        revision=revision,
        voters=voters,
        ballots=Ballots(received=received, used=used, damaged=damaged,
                        unused=received - used - damaged),
        disabled=LPJ(L=disabled_l, P=disabled_p, J=disabled_l + disabled_p),
        votes=_section_iv(rng, ballot, tps, valid),
        totals=Totals(A=valid, B=invalid, C=used),
    )
