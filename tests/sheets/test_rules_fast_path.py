"""The quick path of the rules judges every sheet exactly as the explained rules do.

``check_sheet`` first asks ``_is_clean`` whether a sheet breaks nothing, and
only builds messages when it might. These tests hold it to the explained
rules — ``check_ballot``, ``check_dpt`` and ``_explain_arithmetic``, which
spell out every finding — on clean sheets, on sheets changed in their counts,
their numbers, their TPS or their ballot, and on arbitrary sheets; and
``parse_and_check`` to decoding and checking one step at a time.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sheets_strategies import polling_stations, sample_ballot, sample_tps, sheets

from saksi.election.model import Ballot, Contest, PartyList, Tps
from saksi.election.store import contests_for
from saksi.errors import InputError, NotFoundError
from saksi.sheets import rules
from saksi.sheets.canonical import decode, encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import Entry, Sheet, count_fields, with_counts
from saksi.sheets.rules import (
    CheckResult,
    Verdict,
    _explain_arithmetic,
    _is_clean,
    _result,
    _shape_result,
    check_ballot,
    check_dpt,
    check_sheet,
    dpt_cap,
    parse_and_check,
)
from saksi.sheets.shape import SheetShapeError, shape_problem


def explained_check(sheet: Sheet, ballot: Ballot, tps: Tps) -> CheckResult:
    """``check_sheet`` as first written: every rule, each with its messages."""
    problem = shape_problem(sheet)
    if problem is not None:
        return CheckResult.of([_shape_result(problem)])
    return CheckResult.of([*check_ballot(sheet, ballot, tps), *check_dpt(sheet, tps),
                           *_explain_arithmetic(sheet, dpt_cap(tps))])


# ------------------------------------------------------------- changing sheets

def _changed_counts(sheet: Sheet, rnd: random.Random) -> Sheet:
    values = dict(count_fields(sheet))
    for _ in range(rnd.choice([1, 1, 2, 3])):
        path = rnd.choice(list(values))
        values[path] = max(0, values[path] + rnd.choice([-1, 1, 2, rnd.randrange(-50, 400)]))
    return with_counts(sheet, values)


def _changed_entries(items: list[dict[str, Any]], rnd: random.Random,
                     make: Any) -> None:
    what = rnd.randrange(5)
    if what == 0 and items:
        items.pop(rnd.randrange(len(items)))
    elif what == 1 and items:
        items.append(dict(items[rnd.randrange(len(items))]))  # a number twice
    elif what == 2:
        items.append(make(rnd.randrange(1, 40)))
    elif what == 3 and items:
        items[rnd.randrange(len(items))]["number"] = rnd.randrange(1, 40)
    elif items:  # votes moved: the numbers stay right, the sums do not
        key = "total" if "total" in items[0] else "votes"
        i = rnd.randrange(len(items))
        items[i][key] = max(0, items[i][key] + rnd.choice([-1, 1, 5]))


def _changed_numbers(sheet: Sheet, rnd: random.Random) -> Sheet:
    doc = msgspec.json.decode(encode(sheet))
    votes = doc["votes"]
    for name in ("tickets", "candidates"):
        if name in votes:
            _changed_entries(votes[name], rnd, lambda n: {"number": n, "votes": 0})
    if "parties" in votes:
        if rnd.random() < 0.5 or not votes["parties"]:
            _changed_entries(votes["parties"], rnd, lambda n: {
                "number": n, "party_votes": 0, "candidates": [], "total": 0})
        else:
            block = rnd.choice(votes["parties"])
            _changed_entries(block["candidates"], rnd, lambda n: {"number": n, "votes": 0})
    return msgspec.convert(doc, Sheet, strict=True)


def _other_ballot(ballot: Ballot, rnd: random.Random) -> Ballot:
    """The same contest's ballot with its lists disturbed: reordered, a number
    twice, an entry missing."""
    def disturb(items: tuple[Any, ...]) -> tuple[Any, ...]:
        out = list(items)
        what = rnd.randrange(3)
        if what == 0:
            rnd.shuffle(out)
        elif what == 1 and out:
            out.append(out[rnd.randrange(len(out))])
        elif out:
            out.pop(rnd.randrange(len(out)))
        return tuple(out)

    if ballot.parties:
        lists = list(ballot.parties)
        if rnd.random() < 0.5:
            i = rnd.randrange(len(lists))
            lists[i] = PartyList(lists[i].party, disturb(lists[i].candidates))
            return Ballot(ballot.tps, ballot.contest, ballot.dapil, parties=tuple(lists))
        return Ballot(ballot.tps, ballot.contest, ballot.dapil, parties=disturb(ballot.parties))
    return Ballot(ballot.tps, ballot.contest, ballot.dapil, tickets=disturb(ballot.tickets),
                  candidates=disturb(ballot.candidates))


def _running_numbers(ballot: Ballot) -> Ballot:
    """The ballot with its candidates numbered on from one party to the next
    (1, 2 | 3, 4 | …) instead of from 1 in each party."""
    lists, n = [], 0
    for pl in ballot.parties:
        lists.append(PartyList(pl.party, tuple(
            dataclasses.replace(c, number=n + i) for i, c in enumerate(pl.candidates, 1))))
        n += len(pl.candidates)
    return Ballot(ballot.tps, ballot.contest, ballot.dapil, parties=tuple(lists))


def _moved_to_next_party(sheet: Sheet, rnd: random.Random) -> Sheet:
    """One party's last candidate written under the next party instead, the
    totals following it: every sum still holds."""
    doc = msgspec.json.decode(encode(sheet))
    blocks = doc["votes"].get("parties", [])
    movable = [i for i in range(len(blocks) - 1) if blocks[i]["candidates"]]
    if not movable:
        return sheet
    i = rnd.choice(movable)
    entry = blocks[i]["candidates"].pop()
    blocks[i]["total"] -= entry["votes"]
    blocks[i + 1]["candidates"].insert(0, entry)
    blocks[i + 1]["total"] += entry["votes"]
    return msgspec.convert(doc, Sheet, strict=True)


def _beyond_any_document(sheet: Sheet, rnd: random.Random) -> Sheet:
    """Votes moved between two entries of one list past what a document may
    hold: one count over the TPS's voters, one negative, every sum unchanged.
    Only a sheet built in Python can look like this."""
    v = sheet.voters
    moved = v.A.J + v.B2.J + v.B3.J + rnd.randrange(1, 50)

    def shifted(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        first, second, *rest = entries
        return (Entry(first.number, first.votes + moved),
                Entry(second.number, second.votes - moved), *rest)

    votes = sheet.votes
    if len(votes.tickets) >= 2:
        votes = msgspec.structs.replace(votes, tickets=shifted(votes.tickets))
    elif len(votes.candidates) >= 2:
        votes = msgspec.structs.replace(votes, candidates=shifted(votes.candidates))
    else:
        blocks = list(votes.parties)
        full = [i for i, b in enumerate(blocks) if len(b.candidates) >= 2]
        if not full:
            return sheet
        i = rnd.choice(full)
        blocks[i] = msgspec.structs.replace(blocks[i], candidates=shifted(blocks[i].candidates))
        votes = msgspec.structs.replace(votes, parties=tuple(blocks))
    return msgspec.structs.replace(sheet, votes=votes)


def _other_tps(tps: Tps, rnd: random.Random) -> Tps:
    what = rnd.randrange(4)
    if what == 0:  # another register
        return Tps(tps.code, tps.name, tps.dpt_l + rnd.choice([-1, 1]), tps.dpt_p)
    if what == 1:  # a postal unit abroad has no DPT cap
        return Tps(tps.code, "POS 001", tps.dpt_l, tps.dpt_p)
    if what == 2:  # another TPS of the same village
        return Tps(tps.code[:10] + "999", tps.name, tps.dpt_l, tps.dpt_p)
    return Tps(tps.code, tps.name, tps.dpt_l, tps.dpt_p + 500)  # past the cap of 300


def _cases(ballot: Ballot, tps: Tps, rnd: random.Random
           ) -> Iterator[tuple[Sheet, Ballot, Tps]]:
    """A clean sheet of ``ballot`` at ``tps``, then that sheet or its ballot or
    its TPS changed in one way or another."""
    clean = generate_sheet(ballot, tps, rnd.randrange(1000))
    yield clean, ballot, tps
    yield _changed_counts(clean, rnd), ballot, tps
    yield _changed_numbers(clean, rnd), ballot, tps
    yield _beyond_any_document(clean, rnd), ballot, tps
    disturbed = _other_ballot(ballot, rnd)
    yield clean, disturbed, tps
    yield generate_sheet(disturbed, tps, rnd.randrange(1000)), disturbed, tps
    yield clean, ballot, _other_tps(tps, rnd)
    yield clean, dataclasses.replace(ballot, tps=tps.code[:10] + "999"), tps
    other = rnd.choice([c for c in Contest if c is not ballot.contest])
    yield clean, sample_ballot(other, tps.code), tps
    big = Tps(tps.code, rnd.choice(["TPS 001", "POS 001"]), rnd.randrange(151, 400), 150)
    yield generate_sheet(ballot, big, rnd.randrange(1000)), ballot, big
    if ballot.parties:
        running = _running_numbers(ballot)
        yield _moved_to_next_party(generate_sheet(running, tps, rnd.randrange(1000)), rnd), \
            running, tps


@settings(max_examples=300, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.randoms(use_true_random=False))
def test_clean_and_changed_sheets_are_judged_as_the_explained_rules_judge_them(
    tps: Tps, contest: Contest, rnd: random.Random
) -> None:
    ballot = sample_ballot(contest, tps.code, seats=rnd.randrange(1, 8),
                           dpd_candidates=rnd.randrange(1, 20))
    for sheet, on, at in _cases(ballot, tps, rnd):
        assert check_sheet(sheet, on, at) == explained_check(sheet, on, at)


@settings(max_examples=300, deadline=None)
@given(sheets(), polling_stations(), st.randoms(use_true_random=False))
def test_arbitrary_sheets_are_judged_as_the_explained_rules_judge_them(
    sheet: Sheet, tps: Tps, rnd: random.Random
) -> None:
    ballot = sample_ballot(sheet.contest, sheet.tps, seats=rnd.randrange(1, 6))
    at = Tps(sheet.tps, tps.name, tps.dpt_l, tps.dpt_p)
    assert check_sheet(sheet, ballot, at) == explained_check(sheet, ballot, at)


@settings(max_examples=100, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.integers(0, 2**32))
def test_a_generated_clean_sheet_is_proven_clean_by_the_quick_path(
    tps: Tps, contest: Contest, seed: int
) -> None:
    ballot = sample_ballot(contest, tps.code)
    sheet = generate_sheet(ballot, tps, seed)
    assert _is_clean(sheet, ballot, tps)
    assert check_sheet(sheet, ballot, tps).verdict is Verdict.CLEAN


def test_a_sheet_built_with_a_plain_string_contest_is_judged_as_before() -> None:
    def outcome(check: Any, sheet: Sheet, ballot: Ballot, tps: Tps) -> object:
        try:
            return check(sheet, ballot, tps)
        except Exception as exc:  # whatever it was, it must stay the same
            return type(exc)

    tps = sample_tps()
    for contest in Contest:
        ballot = sample_ballot(contest, tps.code)
        sheet = generate_sheet(ballot, tps, 3)
        plain = msgspec.structs.replace(sheet, contest=str(contest))
        assert outcome(check_sheet, plain, ballot, tps) == outcome(
            explained_check, plain, ballot, tps)


def test_ballots_never_lend_each_other_their_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    # A tiny memo of ballot layouts, so that it is emptied again and again.
    monkeypatch.setattr(rules, "_numbers_of", rules._LayoutMemo(2))
    rnd = random.Random(5)
    tps = sample_tps("3273011001001")
    for _ in range(60):
        contest = rnd.choice(list(Contest))
        mine = sample_ballot(contest, tps.code, seats=rnd.randrange(1, 5),
                             dpd_candidates=rnd.randrange(1, 8))
        other = sample_ballot(contest, tps.code, seats=rnd.randrange(1, 5),
                              dpd_candidates=rnd.randrange(1, 8))
        sheet = generate_sheet(mine, tps, rnd.randrange(100))
        for ballot in (mine, other, mine, _other_ballot(mine, rnd), other):
            assert check_sheet(sheet, ballot, tps) == explained_check(sheet, ballot, tps)


# ------------------------------------------------------------ parse and check


class SampleElection:
    """Sample ballots for any TPS of three villages; a ballot's lists are shared
    between its TPS, as an open ``Election`` shares them within a dapil."""

    VILLAGES = ("3273011001", "3171011001", "9901011001")

    def __init__(self) -> None:
        self._ballots: dict[tuple[str, Contest], Ballot] = {}

    def tps(self, code: str) -> Tps:
        if not isinstance(code, str) or len(code) != 13:
            raise InputError("tps", code, "kode TPS harus 13 karakter",
                             "a TPS code has 13 characters")
        if code[:10] not in self.VILLAGES or not code[10:].isdigit():
            raise NotFoundError("tps", code, "TPS tidak ada", "no such TPS")
        return sample_tps(code, dpt_l=100 + int(code[10:]) % 50, dpt_p=110)

    def contests_at(self, tps_code: str) -> tuple[Contest, ...]:
        return contests_for(tps_code)

    def ballot(self, tps_code: str, contest: Contest) -> Ballot:
        key = (tps_code[:10], contest)
        if key not in self._ballots:
            self._ballots[key] = sample_ballot(contest, tps_code, seats=3, dpd_candidates=9)
        shared = self._ballots[key]
        return Ballot(tps_code, contest, shared.dapil, tickets=shared.tickets,
                      parties=shared.parties, candidates=shared.candidates)


def explained_parse_and_check(raw: bytes, lookup: SampleElection
                              ) -> tuple[Sheet | None, CheckResult]:
    """``parse_and_check`` one step at a time, with the explained rules."""
    try:
        sheet = decode(raw)
    except SheetShapeError as err:
        return None, CheckResult.of([_shape_result(err)])
    try:
        tps = lookup.tps(sheet.tps)
    except (InputError, LookupError):
        return sheet, CheckResult.of([_result(
            "CH-BALLOT", {"tps": sheet.tps}, f"TPS {sheet.tps} tidak terdaftar dalam pemilu ini",
            f"TPS {sheet.tps} is not in this election")])
    if sheet.contest not in set(lookup.contests_at(tps.code)):
        return sheet, CheckResult.of([_result(
            "CH-BALLOT", {"contest": str(sheet.contest)},
            f"pemilihan {sheet.contest} tidak diselenggarakan di TPS {tps.code}",
            f"the {sheet.contest} contest is not held at TPS {tps.code}")])
    return sheet, explained_check(sheet, lookup.ballot(tps.code, sheet.contest), tps)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SampleElection.VILLAGES), st.integers(1, 12),
       st.sampled_from(list(Contest)), st.randoms(use_true_random=False))
def test_parse_and_check_gives_what_decoding_and_checking_step_by_step_gives(
    village: str, number: int, contest: Contest, rnd: random.Random
) -> None:
    election = SampleElection()
    tps = election.tps(f"{village}{number:03d}")
    ballot = election.ballot(tps.code, contest)
    clean = generate_sheet(ballot, tps, rnd.randrange(1000))
    held = contest in contests_for(tps.code)
    assert parse_and_check(encode(clean), election) == (
        clean, CheckResult(Verdict.CLEAN if held else Verdict.REJECTED,
                           explained_parse_and_check(encode(clean), election)[1].results))
    for sheet, _, _ in _cases(ballot, tps, rnd):
        raw = encode(sheet)
        if rnd.random() < 0.3:  # a byte changed: often no longer a sheet at all
            at = rnd.randrange(len(raw))
            raw = raw[:at] + bytes([rnd.randrange(32, 127)]) + raw[at + 1:]
        assert parse_and_check(raw, election) == explained_parse_and_check(raw, election)
