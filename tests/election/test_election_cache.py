"""An open Election caches TPS, dapil and ballot lookups; what it answers is
exactly what the index says, in any order of asking and after evictions.

``reference_ballot`` builds a ballot straight from the SQLite rows, the way
``Election.ballot`` did before it had caches.
"""

from __future__ import annotations

import random
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.election import Election
from saksi.election import store as election_store
from saksi.election.codes import ancestors
from saksi.election.model import Ballot, Candidate, Contest, Dapil, Party, PartyList, Ticket
from saksi.election.store import INDEX_NAME, contests_for
from saksi.errors import InputError, NotFoundError


def reference_ballot(conn: sqlite3.Connection, tps_code: str, contest: Contest) -> Ballot:
    if contest is Contest.PPWP:
        tickets = tuple(Ticket(*r) for r in conn.execute("SELECT * FROM tickets ORDER BY number"))
        return Ballot(tps_code, contest, None, tickets=tickets)
    rows = conn.execute(
        "SELECT region, dapil FROM dapil_region WHERE contest = ? AND region IN (?, ?, ?, ?)",
        (contest.value, *ancestors(tps_code[:10]))).fetchall()
    _region, code = max(rows, key=lambda row: len(row[0]))
    c, ct, name, seats = conn.execute(
        "SELECT code, contest, name, seats FROM dapil WHERE code = ?", (code,)).fetchone()
    regions = tuple(r for (r,) in conn.execute(
        "SELECT region FROM dapil_region WHERE dapil = ? ORDER BY position", (code,)))
    dapil = Dapil(c, Contest(ct), name, seats, regions)
    candidates = [Candidate(d, None if p == 0 else p, n, nm, sx) for d, p, n, nm, sx in
                  conn.execute("SELECT dapil, party, number, name, sex FROM candidates "
                               "WHERE dapil = ? ORDER BY party, number", (code,))]
    if contest is Contest.DPD:
        return Ballot(tps_code, contest, dapil, candidates=tuple(candidates))
    parties = {n: Party(n, a, nm, bool(loc)) for n, a, nm, loc in
               conn.execute("SELECT * FROM parties")}
    by_party: dict[int, list[Candidate]] = {}
    for cand in candidates:
        by_party.setdefault(cand.party or 0, []).append(cand)
    lists = tuple(PartyList(parties[n], tuple(cs)) for n, cs in sorted(by_party.items()))
    return Ballot(tps_code, contest, dapil, parties=lists)


def _index(election: Election) -> sqlite3.Connection:
    return sqlite3.connect(election.directory / INDEX_NAME)


def test_every_ballot_of_a_sample_of_bandung_is_the_one_the_index_gives(
    bandung: Election,
) -> None:
    conn = _index(bandung)
    codes = [t.code for t in bandung.iter_tps()][::11]
    asks = [(code, contest) for code in codes for contest in contests_for(code)]
    random.Random(7).shuffle(asks)
    election = Election.open(bandung.directory)
    for code, contest in asks + asks[: len(asks) // 3]:  # some asked twice: from the cache
        assert election.ballot(code, contest) == reference_ballot(conn, code, contest)


def test_ballots_stay_right_when_the_caches_are_tiny(
    national: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TPS_CACHE", "DAPIL_OF_CACHE", "BALLOT_CACHE"):
        monkeypatch.setattr(election_store, name, 3)
    election = Election.open(national.directory)
    conn = _index(national)
    rnd = random.Random(3)
    provinces = ["11", "31", "33", "51", "94", "99"]
    codes = [national.tps_in(p)[rnd.randrange(50)].code for p in provinces]
    codes += [national.tps_in(p)[-1].code for p in provinces]
    for _ in range(3):
        rnd.shuffle(codes)
        for code in codes:
            for contest in contests_for(code):
                got = election.ballot(code, contest)
                assert got == reference_ballot(conn, code, contest)
                assert election.tps(code) == national.tps(code)
                assert election.dapil_of(code, contest) == got.dapil


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"\A3273[0-9]{9}\Z") | st.text(max_size=14),
       st.sampled_from(list(Contest)))
def test_unknown_tps_fail_the_same_way_every_time(
    bandung: Election, code: str, contest: Contest
) -> None:
    def outcome() -> object:
        try:
            return bandung.ballot(code, contest)
        except InputError as exc:
            return (type(exc), exc.field, str(exc))

    first = outcome()
    assert outcome() == first
    if isinstance(first, Ballot):
        assert first.tps == code
    else:
        assert isinstance(first, tuple) and first[0] in (InputError, NotFoundError)
