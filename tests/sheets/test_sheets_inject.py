"""The 2024 failure patterns, and what the rules can and cannot catch."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from sheets_strategies import polling_stations, sample_ballot, sample_tps

from saksi.election.model import Contest, Tps
from saksi.errors import InputError
from saksi.sheets.generate import generate_sheet
from saksi.sheets.inject import PATTERNS, detectable, inject
from saksi.sheets.model import (
    LPJ,
    SCHEMA,
    Ballots,
    Entry,
    Sheet,
    Totals,
    Voters,
    Votes,
    count_fields,
    with_counts,
)
from saksi.sheets.rules import Verdict, check_sheet

TPS = sample_tps()


def _diff(a: Sheet, b: Sheet) -> dict[str, tuple[int, int]]:
    before, after = dict(count_fields(a)), dict(count_fields(b))
    return {p: (before[p], after[p]) for p in before if before[p] != after[p]}


@settings(max_examples=250, deadline=None)
@given(polling_stations().filter(lambda t: t.dpt >= 20), st.sampled_from(list(Contest)),
       st.sampled_from(PATTERNS), st.integers(0, 2**32))
def test_every_detectable_injected_error_is_caught(
    tps: Tps, contest: Contest, pattern: str, seed: int
) -> None:
    ballot = sample_ballot(contest, tps.code)
    sheet = generate_sheet(ballot, tps, seed)
    try:
        bad = inject(sheet, pattern, random.Random(seed))
    except InputError as exc:
        # Only a swap can be impossible: every count it could swap is equal
        # (e.g. three tickets with 6 votes each), and it says so.
        assert pattern == "swap" and exc.field == "votes"
        reject()
    assert bad != sheet
    verdict = check_sheet(bad, ballot, tps).verdict
    if detectable(pattern, contest):
        assert verdict is not Verdict.CLEAN
    else:
        # a swap of two tickets' (or DPD candidates') counts keeps every sum:
        # only the witnesses' cosigned copies or the photo can expose it
        assert verdict is Verdict.CLEAN


@pytest.mark.parametrize("contest", list(Contest))
@pytest.mark.parametrize("pattern", ["digit-inserted", "digit-misread", "digit-dropped"])
def test_digit_errors_change_exactly_one_count_of_section_iv(
    contest: Contest, pattern: str
) -> None:
    ballot = sample_ballot(contest, TPS.code)
    for seed in range(25):
        sheet = generate_sheet(ballot, TPS, seed)
        changed = _diff(sheet, inject(sheet, pattern, random.Random(seed)))
        [(path, (old, new))] = changed.items()
        assert path.startswith("votes.")
        if pattern == "digit-inserted":
            assert len(str(new)) == len(str(old)) + 1
        if pattern == "digit-dropped" and old >= 10:
            assert len(str(new)) < len(str(old))


@pytest.mark.parametrize("contest", [Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA])
def test_a_party_swap_exchanges_two_party_totals_and_breaks_their_identity(
    contest: Contest,
) -> None:
    ballot = sample_ballot(contest, TPS.code)
    sheet = generate_sheet(ballot, TPS, 5)
    bad = inject(sheet, "swap", random.Random(5))
    (pa, (a0, a1)), (pb, (b0, b1)) = _diff(sheet, bad).items()
    assert pa.endswith(".total") and pb.endswith(".total") and (a0, b0) == (b1, a1)
    result = check_sheet(bad, ballot, TPS)
    assert {r.code for r in result.results} == {"CH-VALID-SUM"}
    assert all(r.fields[0] in (pa, pb) for r in result.results)


def test_a_ticket_swap_is_invisible_to_arithmetic() -> None:
    assert not detectable("swap", Contest.PPWP) and not detectable("swap", Contest.DPD)
    ballot = sample_ballot(Contest.PPWP, TPS.code)
    sheet = generate_sheet(ballot, TPS, 9)
    bad = inject(sheet, "swap", random.Random(9))
    assert [t.votes for t in bad.votes.tickets] != [t.votes for t in sheet.votes.tickets]
    assert sorted(t.votes for t in bad.votes.tickets) == sorted(
        t.votes for t in sheet.votes.tickets
    )
    assert check_sheet(bad, ballot, TPS).verdict is Verdict.CLEAN


def test_total_mismatch_breaks_a_sum() -> None:
    for contest in Contest:
        ballot = sample_ballot(contest, TPS.code)
        for seed in range(10):
            sheet = generate_sheet(ballot, TPS, seed)
            bad = inject(sheet, "total-mismatch", random.Random(seed))
            [path] = _diff(sheet, bad)
            assert path.startswith("totals.") or path.endswith(".total")
            assert check_sheet(bad, ballot, TPS).codes & {"CH-VALID-SUM", "CH-TOTAL-SUM"}


def test_an_unknown_pattern_is_an_input_error() -> None:
    sheet = generate_sheet(sample_ballot(Contest.PPWP, TPS.code), TPS, 1)
    with pytest.raises(InputError):
        inject(sheet, "coffee-stain", random.Random(1))


def _ppwp(votes: tuple[int, int, int], invalid: int = 5) -> Sheet:
    """A consistent presidential sheet with the given ticket counts."""
    used = sum(votes) + invalid
    l_ = used // 2
    b1 = LPJ(L=l_, P=used - l_, J=used)
    zero = LPJ(L=0, P=0, J=0)
    return Sheet(
        schema=SCHEMA, contest=Contest.PPWP, tps=TPS.code, revision=1,
        voters=Voters(A=LPJ(L=TPS.dpt_l, P=TPS.dpt_p, J=TPS.dpt), B1=b1, B2=zero, B3=zero,
                      B4=b1),
        ballots=Ballots(received=TPS.dpt + 5, used=used, damaged=0, unused=TPS.dpt + 5 - used),
        disabled=zero,
        votes=Votes(tickets=tuple(Entry(number=i + 1, votes=v) for i, v in enumerate(votes))),
        totals=Totals(A=sum(votes), B=invalid, C=used),
    )


@pytest.mark.parametrize(
    ("paper", "read"),
    [(84, 884), (17, 817), (58, 948), (105, 905), (157, 457), (112, 222), (99, 44), (69, 64)],
)
def test_the_misreads_reported_in_2024_are_caught(paper: int, read: int) -> None:
    ballot = sample_ballot(Contest.PPWP, TPS.code)
    sheet = _ppwp((paper, 40, 20))
    assert check_sheet(sheet, ballot, TPS).verdict is Verdict.CLEAN
    misread = with_counts(sheet, {"votes.tickets[0].votes": read})
    codes = check_sheet(misread, ballot, TPS).codes
    assert "CH-VALID-SUM" in codes
    if read > TPS.dpt:
        assert "CH-VOTES-LE-CAP" in codes
