"""Hand-built TPS and ballots with the 2024 tickets and parties.

For tests, demos and benchmarks that need a ballot without building or
opening an election directory. Candidate names are placeholders.
"""

from __future__ import annotations

from saksi.election.model import (
    ACEH,
    Ballot,
    Candidate,
    Contest,
    Dapil,
    Party,
    PartyList,
    Ticket,
    Tps,
)

__all__ = ["PARTIES", "TICKETS", "sample_ballot", "sample_tps"]

TICKETS = (
    Ticket(1, "Anies Rasyid Baswedan", "Abdul Muhaimin Iskandar"),
    Ticket(2, "Prabowo Subianto", "Gibran Rakabuming Raka"),
    Ticket(3, "Ganjar Pranowo", "Mahfud MD"),
)

_NATIONAL = (
    (1, "PKB"), (2, "GERINDRA"), (3, "PDIP"), (4, "GOLKAR"), (5, "NASDEM"), (6, "BURUH"),
    (7, "GELORA"), (8, "PKS"), (9, "PKN"), (10, "HANURA"), (11, "GARUDA"), (12, "PAN"),
    (13, "PBB"), (14, "DEMOKRAT"), (15, "PSI"), (16, "PERINDO"), (17, "PPP"), (24, "UMMAT"),
)
_ACEH_LOCAL = ((18, "PNA"), (19, "GABTHAT"), (20, "PDA"), (21, "PA"), (22, "PAS"), (23, "SIRA"))

PARTIES = tuple(Party(n, a, f"Partai {a}", local=False) for n, a in _NATIONAL) + tuple(
    Party(n, a, f"Partai {a}", local=True) for n, a in _ACEH_LOCAL
)


def sample_tps(code: str = "3171011001001", dpt_l: int = 121, dpt_p: int = 127) -> Tps:
    return Tps(code=code, name=f"TPS {code[10:]}", dpt_l=dpt_l, dpt_p=dpt_p)


def sample_ballot(contest: Contest, tps_code: str = "3171011001001", seats: int = 6,
                  dpd_candidates: int = 18) -> Ballot:
    """The ballot of ``contest`` at ``tps_code``: 2024 tickets/parties, ``seats``
    candidates per party list (Aceh DPRD ballots include the local parties)."""
    province = tps_code[:2]
    if contest is Contest.PPWP:
        return Ballot(tps=tps_code, contest=contest, dapil=None, tickets=TICKETS)
    dapil = Dapil(
        code=f"{contest}-{tps_code[:4]}-1", contest=contest,
        name=f"{contest.upper()} {tps_code[:4]} 1", seats=seats if contest.is_party_contest
        else 4, regions=(tps_code[:4],),
    )
    if contest is Contest.DPD:
        return Ballot(tps=tps_code, contest=contest, dapil=dapil, candidates=tuple(
            Candidate(dapil.code, None, n, f"Calon DPD {n}", "LP"[n % 2])
            for n in range(1, dpd_candidates + 1)
        ))
    local_ok = province == ACEH and contest is not Contest.DPR
    lists = tuple(
        PartyList(p, tuple(
            Candidate(dapil.code, p.number, k, f"Calon {p.abbreviation} {k}", "LP"[k % 2])
            for k in range(1, seats + 1)
        ))
        for p in sorted(PARTIES, key=lambda p: p.number)
        if local_ok or not p.local
    )
    return Ballot(tps=tps_code, contest=contest, dapil=dapil, parties=lists)
