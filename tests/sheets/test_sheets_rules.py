"""The rules of c-hasil.md, each with its stable code; and the central promise:
every single-number change to a clean sheet is flagged or rejected."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sheets_strategies import polling_stations, sample_ballot, sample_tps

from saksi.election.model import Ballot, Contest, Tps
from saksi.errors import NotFoundError
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import (
    MAX_COUNT,
    Entry,
    PartyVotes,
    Sheet,
    count_fields,
    with_counts,
)
from saksi.sheets.rules import (
    RULES,
    CheckResult,
    Severity,
    Verdict,
    check_sheet,
    parse_and_check,
    reserve,
)

TPS = sample_tps()  # DKI Jakarta


def _clean(contest: Contest, tps: Tps = TPS, seed: int = 1) -> tuple[Sheet, Ballot]:
    ballot = sample_ballot(contest, tps.code)
    sheet = generate_sheet(ballot, tps, seed)
    assert check_sheet(sheet, ballot, tps).verdict is Verdict.CLEAN
    return sheet, ballot


def _check(sheet: Sheet, ballot: Ballot, tps: Tps = TPS) -> CheckResult:
    return check_sheet(sheet, ballot, tps)


def test_every_rule_code_of_c_hasil_is_known_with_its_severity() -> None:
    assert RULES["CH-SHAPE"] is RULES["CH-BALLOT"] is Severity.REJECT
    flags = {"CH-LP-SUM", "CH-B4-SUM", "CH-B1-LE-A", "CH-DPT-MAX", "CH-BALLOTS-SUM",
             "CH-BALLOTS-RESERVE", "CH-USED-EQ-VOTERS", "CH-VALID-SUM", "CH-TOTAL-SUM",
             "CH-TOTAL-EQ-USED", "CH-DISABLED-LE-B4", "CH-VOTES-LE-CAP", "CH-A-EQ-DPT"}
    assert {c for c, s in RULES.items() if s is Severity.FLAG} == flags


def test_reserve_is_the_ceiling_of_two_percent() -> None:
    assert [reserve(n) for n in (0, 1, 49, 50, 51, 100, 248, 300)] == [0, 1, 1, 1, 2, 2, 5, 6]


# (contest, changes, expected code, a field the result must name)
FLAG_CASES: list[tuple[Contest, dict[str, int], str, str]] = [
    (Contest.PPWP, {"voters.B2.J": 99}, "CH-LP-SUM", "voters.B2.J"),
    (Contest.PPWP, {"disabled.L": 50}, "CH-LP-SUM", "disabled.L"),
    (Contest.PPWP, {"voters.B3.L": 1, "voters.B3.J": 1}, "CH-B4-SUM", "voters.B4.L"),
    (Contest.PPWP, {"voters.B1.L": 130, "voters.B1.J": 240, "voters.B4.L": 132,
                    "voters.B4.J": 244}, "CH-B1-LE-A", "voters.B1.L"),
    (Contest.PPWP, {"voters.A.L": 180, "voters.A.J": 307}, "CH-DPT-MAX", "voters.A.J"),
    (Contest.PPWP, {"voters.A.L": 100, "voters.A.J": 227}, "CH-A-EQ-DPT", "voters.A.L"),
    (Contest.DPD, {"ballots.4": 0}, "CH-BALLOTS-SUM", "ballots.4"),
    (Contest.DPD, {"ballots.1": 300, "ballots.4": 300 - 0}, "CH-BALLOTS-RESERVE", "ballots.1"),
    (Contest.DPR, {"ballots.2": 10}, "CH-USED-EQ-VOTERS", "ballots.2"),
    (Contest.DPR, {"totals.A": 0}, "CH-VALID-SUM", "totals.A"),
    (Contest.DPRD_PROV, {"votes.parties[2].party_votes": 900}, "CH-VALID-SUM",
     "votes.parties[2].total"),
    (Contest.PPWP, {"totals.B": 0}, "CH-TOTAL-SUM", "totals.B"),
    (Contest.PPWP, {"totals.C": 1}, "CH-TOTAL-EQ-USED", "ballots.2"),
    (Contest.DPD, {"disabled.L": 200, "disabled.P": 100, "disabled.J": 300},
     "CH-DISABLED-LE-B4", "disabled.J"),
    (Contest.DPD, {"votes.candidates[0].votes": 4695}, "CH-VOTES-LE-CAP",
     "votes.candidates[0].votes"),
]


@pytest.mark.parametrize(("contest", "changes", "code", "field"), FLAG_CASES)
def test_each_flag_rule_fires_naming_its_fields(
    contest: Contest, changes: dict[str, int], code: str, field: str
) -> None:
    sheet, ballot = _clean(contest)
    if code == "CH-BALLOTS-SUM":
        changes = {"ballots.4": sheet.ballots.unused + 1}
    if code == "CH-BALLOTS-RESERVE":
        extra = reserve(sheet.voters.A.J) + 1
        changes = {"ballots.1": sheet.ballots.received + extra,
                   "ballots.4": sheet.ballots.unused + extra}
    changed = with_counts(sheet, changes)
    result = _check(changed, ballot)
    assert result.verdict is Verdict.FLAGGED
    [hit, *_] = [r for r in result.results if r.code == code]
    assert hit.severity is Severity.FLAG
    assert field in hit.fields and field in hit.values
    assert hit.message_id and hit.message_en and hit.message_id != hit.message_en
    if code in ("CH-BALLOTS-SUM", "CH-BALLOTS-RESERVE"):
        assert {r.code for r in result.results} == {code}  # no collateral flags


def test_a_flagged_sheet_is_kept_exactly_as_written() -> None:
    sheet, ballot = _clean(Contest.PPWP)
    bad = with_counts(sheet, {"votes.tickets[0].votes": sheet.votes.tickets[0].votes * 10 + 4})
    before = encode(bad)
    assert _check(bad, ballot).verdict is Verdict.FLAGGED
    assert encode(bad) == before


def test_the_dpd_count_of_4695_at_a_tps_of_229_voters_is_flagged() -> None:
    tps = sample_tps("3273011001001", dpt_l=110, dpt_p=119)
    sheet, ballot = _clean(Contest.DPD, tps)
    bad = with_counts(sheet, {"votes.candidates[3].votes": 4695})
    assert {"CH-VOTES-LE-CAP", "CH-VALID-SUM"} <= _check(bad, ballot, tps).codes


# ------------------------------------------------------------- CH-BALLOT


def _votes(sheet: Sheet, **kw: Any) -> Sheet:
    return msgspec.structs.replace(sheet, votes=msgspec.structs.replace(sheet.votes, **kw))


def _ballot_rejects(sheet: Sheet, ballot: Ballot, tps: Tps = TPS) -> list[str]:
    result = _check(sheet, ballot, tps)
    assert result.verdict is Verdict.REJECTED
    hits = [r for r in result.results if r.code == "CH-BALLOT"]
    assert hits and all(r.severity is Severity.REJECT for r in hits)
    return [r.message_en for r in hits]


def test_a_party_not_on_this_ballot_is_rejected_by_name() -> None:
    sheet, ballot = _clean(Contest.DPR)  # Aceh local party 21 is not on a DPR ballot
    extra = PartyVotes(number=21, party_votes=0, candidates=(), total=0)
    [msg] = _ballot_rejects(_votes(sheet, parties=(*sheet.votes.parties, extra)), ballot)
    assert "party number 21" in msg


def test_aceh_local_parties_are_on_aceh_dprd_ballots() -> None:
    aceh = sample_tps("1171011001001")
    sheet, _ = _clean(Contest.DPRD_KABKOTA, aceh)
    assert 21 in [p.number for p in sheet.votes.parties]


def test_a_candidate_of_another_dapil_is_rejected_by_name() -> None:
    sheet, ballot = _clean(Contest.DPRD_PROV)  # six candidates per list
    p = sheet.votes.parties[2]
    moved = msgspec.structs.replace(p, candidates=(*p.candidates, Entry(number=7, votes=0)))
    parties = (*sheet.votes.parties[:2], moved, *sheet.votes.parties[3:])
    [msg] = _ballot_rejects(_votes(sheet, parties=parties), ballot)
    assert "number 7" in msg and f"party {p.number}" in msg


def test_an_entry_written_twice_is_rejected() -> None:
    sheet, ballot = _clean(Contest.PPWP)
    again = (*sheet.votes.tickets, Entry(number=2, votes=0))
    [msg] = _ballot_rejects(_votes(sheet, tickets=again), ballot)
    assert "appears 2 times" in msg


def test_every_entry_of_the_ballot_must_be_written_even_zero() -> None:
    sheet, ballot = _clean(Contest.DPD)
    dropped = sheet.votes.candidates[:-1]
    msgs = _ballot_rejects(_votes(sheet, candidates=dropped), ballot)
    assert any("missing; write 0" in m for m in msgs)


def test_a_sheet_checked_against_another_tps_or_contest_is_rejected() -> None:
    sheet, _ = _clean(Contest.PPWP)
    other = sample_tps("3171011001002")
    _ballot_rejects(sheet, sample_ballot(Contest.PPWP, other.code), other)
    _ballot_rejects(sheet, sample_ballot(Contest.DPD, TPS.code))


class Lookup:
    """An election of one Jakarta TPS (four contests, no DPRD kab/kota)."""

    def tps(self, code: str) -> Tps:
        if code != TPS.code:
            raise NotFoundError("tps", code, "TPS tidak ada", "no such TPS")
        return TPS

    def contests_at(self, tps_code: str) -> tuple[Contest, ...]:
        return (Contest.PPWP, Contest.DPR, Contest.DPD, Contest.DPRD_PROV)

    def ballot(self, tps_code: str, contest: Contest) -> Ballot:
        return sample_ballot(contest, tps_code)


def test_parse_and_check_accepts_a_clean_sheet() -> None:
    sheet, _ = _clean(Contest.DPRD_PROV)
    parsed, result = parse_and_check(encode(sheet), Lookup())
    assert parsed == sheet and result.verdict is Verdict.CLEAN


def test_a_contest_not_held_at_the_tps_is_rejected() -> None:
    kabkota = generate_sheet(sample_ballot(Contest.DPRD_KABKOTA, TPS.code), TPS, 1)
    parsed, result = parse_and_check(encode(kabkota), Lookup())
    assert parsed == kabkota
    assert [r.code for r in result.results] == ["CH-BALLOT"]
    assert "not held" in result.results[0].message_en


def test_an_unknown_tps_is_a_ballot_rejection() -> None:
    sheet, _ = _clean(Contest.PPWP)
    data = encode(msgspec.structs.replace(sheet, tps="3171011001999"))
    _parsed, result = parse_and_check(data, Lookup())
    assert result.verdict is Verdict.REJECTED
    assert [(r.code, r.fields) for r in result.results] == [("CH-BALLOT", ("tps",))]


# ------------------------------------------- every single change is caught


def _changed_values(value: int) -> list[int]:
    out = {value + 1, value * 10 + 4, int("8" + str(value)), 0, MAX_COUNT}
    if value > 0:
        out |= {value - 1, value // 10}
    return sorted(v for v in out if v != value)


@pytest.mark.parametrize("contest", list(Contest))
def test_every_single_change_to_every_count_is_caught(contest: Contest) -> None:
    sheet, ballot = _clean(contest, seed=11)
    fields = count_fields(sheet)
    assert len(fields) > 20
    for path, value in fields:
        for new in _changed_values(value):
            result = _check(with_counts(sheet, {path: new}), ballot)
            assert result.verdict is not Verdict.CLEAN, (path, value, new)


@settings(max_examples=200, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.integers(0, 2**32), st.data())
def test_any_single_change_on_any_clean_sheet_is_caught(
    tps: Tps, contest: Contest, seed: int, data: st.DataObject
) -> None:
    ballot = sample_ballot(contest, tps.code)
    sheet = generate_sheet(ballot, tps, seed)
    path, value = data.draw(st.sampled_from(count_fields(sheet)))
    new = data.draw(st.integers(0, MAX_COUNT).filter(lambda v: v != value)
                    | st.integers(max(0, value - 3), value + 3).filter(lambda v: v != value))
    result = check_sheet(with_counts(sheet, {path: new}), ballot, tps)
    assert result.verdict in (Verdict.FLAGGED, Verdict.REJECTED), (path, value, new)


def test_rules_see_a_changed_party_row_even_with_adjusted_totals() -> None:
    # a candidate misread whose party total and V.A were "fixed" to match
    # still breaks the link to the ballots used
    sheet, ballot = _clean(Contest.DPR)
    p = sheet.votes.parties[0]
    changes = {"votes.parties[0].candidates[0].votes": p.candidates[0].votes + 800,
               "votes.parties[0].total": p.total + 800, "totals.A": sheet.totals.A + 800,
               "totals.C": sheet.totals.C + 800}
    codes = _check(with_counts(sheet, changes), ballot).codes
    assert "CH-TOTAL-EQ-USED" in codes and "CH-VOTES-LE-CAP" in codes


def test_section_iv_of_another_contest_is_a_shape_rejection() -> None:
    sheet, ballot = _clean(Contest.PPWP)
    wrong = _votes(sheet, candidates=(Entry(number=1, votes=0),))
    result = _check(wrong, ballot)
    assert [r.code for r in result.results] == ["CH-SHAPE"]



def test_the_300_voter_cap_applies_to_tps_and_ksk_but_not_to_postal_pos() -> None:
    for name, capped in (("TPS 001", True), ("KSK 001", True), ("POS 001", False)):
        unit = Tps(code="9901010001001", name=name, dpt_l=700, dpt_p=750)
        ballot = sample_ballot(Contest.PPWP, unit.code)
        codes = check_sheet(generate_sheet(ballot, unit, 3), ballot, unit).codes
        assert ("CH-DPT-MAX" in codes) is capped, name
        assert codes <= {"CH-DPT-MAX"}
