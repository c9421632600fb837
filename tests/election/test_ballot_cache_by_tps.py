"""An open Election also remembers ballots by (TPS, contest), and checks a TPS
code only when it first meets it; answers and refusals stay what the index
and the code rules say, however often and in whatever form they are asked."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_election_cache import _index, reference_ballot

from saksi.election import Election
from saksi.election import store as election_store
from saksi.election.model import Contest, Tps
from saksi.election.store import contests_for
from saksi.errors import InputError, NotFoundError


def refusal(ask: object) -> object:
    assert callable(ask)
    try:
        return ask()
    except (InputError, ValueError) as exc:
        return type(exc), getattr(exc, "field", None), str(exc)


def test_ballots_asked_again_and_again_with_every_cache_tiny(
    bandung: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TPS_CACHE", "DAPIL_OF_CACHE", "BALLOT_CACHE", "TPS_BALLOT_CACHE"):
        monkeypatch.setattr(election_store, name, 3)
    election = Election.open(bandung.directory)
    conn = _index(bandung)
    rnd = random.Random(11)
    codes = [t.code for t in bandung.iter_tps()][::97]
    asks = [(code, contest) for code in codes for contest in contests_for(code)]
    for _ in range(3):
        rnd.shuffle(asks)
        for code, contest in asks:
            expected = reference_ballot(conn, code, contest)
            assert election.ballot(code, contest) == expected
            assert election.ballot(code, str(contest)) == expected  # type: ignore[arg-type]
            assert election.tps(code) == bandung.tps(code)


@settings(max_examples=80, deadline=None)
@given(st.from_regex(r"\A3273[0-9]{9}\Z") | st.text(max_size=14)
       | st.sampled_from([None, 3273011001001, b"3273011001001", ("3273011001001",)]),
       st.sampled_from([*Contest, "dpr", "ppwp", "presiden"]))
def test_bad_and_unknown_tps_are_refused_alike_first_time_and_after(
    bandung: Election, code: object, contest: object
) -> None:
    election = Election.open(bandung.directory)
    first_tps = refusal(lambda: election.tps(code))  # type: ignore[arg-type]
    first_ballot = refusal(lambda: election.ballot(code, contest))  # type: ignore[arg-type]
    for _ in range(2):
        assert refusal(lambda: election.tps(code)) == first_tps  # type: ignore[arg-type]
        assert refusal(
            lambda: election.ballot(code, contest)) == first_ballot  # type: ignore[arg-type]
    if not isinstance(code, str) or len(code) != 13 or not code.isdigit():
        assert first_tps == (InputError, "tps",
                             f"tps={code!r}: kode TPS harus 13 karakter / "
                             "a TPS code has 13 characters")
    elif isinstance(first_tps, Tps):
        assert first_tps.code == code
    else:
        assert first_tps[0] is NotFoundError  # type: ignore[index]
    if contest == "presiden":
        assert first_ballot[0] is ValueError  # type: ignore[index]
