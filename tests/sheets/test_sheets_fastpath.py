"""The fast paths of the sheet code give exactly what the plain ones gave.

``reference_encode`` is the original recursive canonical writer, kept here as
the specification the msgspec-based encoder must match byte for byte; the
pinned digests were taken before generation was memoised.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sheets_strategies import polling_stations, sheets

from saksi.election.model import Ballot, Contest, Tps
from saksi.sheets.canonical import decode, encode, is_canonical
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import (
    Entry,
    PartyVotes,
    Sheet,
    Votes,
    count_fields,
    vote_fields,
    with_counts,
)
from saksi.sheets.rules import (
    RuleResult,
    Severity,
    _arithmetic_holds,
    _explain_arithmetic,
    check_arithmetic,
    check_ballot,
)
from saksi.sheets.samples import sample_ballot, sample_tps

# ------------------------------------------------------- reference encoder

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
          "\t": "\\t"}
_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _esc(text: str) -> str:
    return _ESCAPE.sub(lambda m: _SHORT.get(m.group(0)) or f"\\u{ord(m.group(0)):04x}", text)


def _write(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        out.append("{")
        for i, key in enumerate(sorted(node)):
            out.append("," if i else "")
            out.append(f'"{_esc(key)}":')
            _write(node[key], out)
        out.append("}")
    elif isinstance(node, list | tuple):
        out.append("[")
        for i, item in enumerate(node):
            out.append("," if i else "")
            _write(item, out)
        out.append("]")
    elif isinstance(node, str):
        out.append(f'"{_esc(node)}"')
    else:
        assert isinstance(node, int) and not isinstance(node, bool)
        out.append(str(node))


def reference_encode(sheet: Sheet) -> bytes:
    out: list[str] = []
    _write(msgspec.to_builtins(sheet), out)
    return "".join(out).encode("utf-8")


def reference_is_canonical(data: bytes) -> bool:
    try:
        return reference_encode(decode(data)) == data
    except Exception:
        return False


# ------------------------------------------------------------- encoder


@settings(max_examples=400, deadline=None)
@given(sheets())
def test_the_encoder_writes_the_reference_bytes(sheet: Sheet) -> None:
    assert encode(sheet) == reference_encode(sheet)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from(list(Contest)))
def test_every_reason_text_is_escaped_like_the_reference(text: str, contest: Contest) -> None:
    sheet = msgspec.structs.replace(
        generate_sheet(sample_ballot(contest), sample_tps(), 1), reason=text)
    try:
        expected = reference_encode(sheet)
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 spelling in either
        with pytest.raises(UnicodeEncodeError):
            encode(sheet)
        return
    assert encode(sheet) == expected


def test_control_characters_quotes_and_non_ascii_match_the_reference() -> None:
    text = "".join(chr(i) for i in range(0x80)) + "\u2028\u2029é\U0001f600"
    sheet = msgspec.structs.replace(
        generate_sheet(sample_ballot(Contest.PPWP), sample_tps(), 1), reason=text)
    assert encode(sheet) == reference_encode(sheet)


@settings(max_examples=300, deadline=None)
@given(sheets(), st.randoms(use_true_random=False), st.data())
def test_mutated_spellings_are_canonical_exactly_when_the_reference_says_so(
    sheet: Sheet, rnd: random.Random, data: st.DataObject
) -> None:
    good = reference_encode(sheet)
    assert is_canonical(good) and reference_is_canonical(good)
    doc = msgspec.json.decode(good)
    # Reorder keys, shuffle lists, re-indent or flip one byte: is_canonical agrees.
    mutation = data.draw(st.sampled_from(["keys", "lists", "pretty", "byte", "space"]))
    if mutation == "keys":
        spelled = msgspec.json.encode(dict(reversed(list(doc.items()))))
    elif mutation == "lists":
        for name in ("tickets", "candidates", "parties"):
            if name in doc["votes"]:
                rnd.shuffle(doc["votes"][name])
        spelled = msgspec.json.encode(doc, order="sorted")
    elif mutation == "pretty":
        spelled = msgspec.json.format(good, indent=1)
    elif mutation == "space":
        spelled = good.replace(b",", b", ", 1)
    else:
        at = data.draw(st.integers(0, len(good) - 1))
        spelled = good[:at] + bytes([data.draw(st.integers(0, 255))]) + good[at + 1:]
    assert is_canonical(spelled) == reference_is_canonical(spelled)


# ----------------------------------------------------- list normalisation


@given(st.lists(st.integers(1, 999), max_size=30), st.data())
def test_entries_come_out_in_ballot_order_whatever_order_they_came_in(
    numbers: list[int], data: st.DataObject
) -> None:
    entries = [Entry(number=n, votes=data.draw(st.integers(0, 9))) for n in numbers]
    expected = tuple(sorted(entries, key=lambda e: (e.number, msgspec.json.encode(e))))
    assert Votes(candidates=tuple(entries)).candidates == expected
    assert Votes(tickets=tuple(entries)).tickets == expected
    block = PartyVotes(number=1, party_votes=0, candidates=tuple(entries), total=0)
    assert block.candidates == expected


# ------------------------------------------------------------- generation

# SHA-256 over the canonical bytes of these sheets, taken before generation was memoised.
GENERATED_SHA256 = "21ac902367111b9c2dce5afa3e62a26828e8d6235acae1ab1366654325a16091"


def test_generation_gives_the_pinned_sheets() -> None:
    digest = hashlib.sha256()
    for province in ("11", "31", "33", "95", "99"):
        for i in range(4):
            tps = sample_tps(f"{province}710110010{i:02d}", dpt_l=100 + i * 13,
                             dpt_p=90 + i * 17)
            for contest in Contest:
                for seed in (0, "x", 2**40):
                    digest.update(reference_encode(
                        generate_sheet(sample_ballot(contest, tps.code), tps, seed)))
    assert digest.hexdigest() == GENERATED_SHA256


@settings(max_examples=50, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.integers(0, 2**64))
def test_a_sheet_is_the_same_whatever_was_generated_before_it(
    tps: Tps, contest: Contest, seed: int
) -> None:
    ballot = sample_ballot(contest, tps.code)
    first = encode(generate_sheet(ballot, tps, seed))
    for other in (Contest.DPD, Contest.DPR):
        generate_sheet(sample_ballot(other, "3273011001001"), sample_tps("3273011001001"), seed)
    assert encode(generate_sheet(ballot, tps, seed)) == first


# ------------------------------------------------------------------ rules


def reference_ballot_results(sheet: Sheet, ballot: Ballot, tps: Tps) -> list[RuleResult]:
    """CH-BALLOT as first written: every list checked entry by entry."""
    out: list[RuleResult] = []
    where_id = f"surat suara {ballot.contest} TPS {tps.code}"
    where_en = f"the {ballot.contest} ballot of TPS {tps.code}"
    if ballot.dapil is not None:
        where_id += f" (dapil {ballot.dapil.name})"
        where_en += f" (district {ballot.dapil.name})"

    def reject(path: str, value: int, mid: str, men: str) -> None:
        out.append(RuleResult("CH-BALLOT", Severity.REJECT, (path,), {path: value}, mid, men))

    def entries(path: str, numbers: list[int], allowed: dict[int, str],
                what_id: str, what_en: str) -> None:
        seen = Counter(numbers)
        for i, n in enumerate(numbers):
            if numbers.index(n) != i:
                continue
            if n not in allowed:
                reject(f"{path}[{i}].number", n, f"{what_id} nomor {n} tidak ada di {where_id}",
                       f"{what_en} number {n} is not on {where_en}")
            elif seen[n] > 1:
                reject(f"{path}[{i}].number", n,
                       f"{what_id} nomor {n} ({allowed[n]}) tercatat {seen[n]} kali",
                       f"{what_en} number {n} ({allowed[n]}) appears {seen[n]} times")
        for n, label in allowed.items():
            if n not in numbers:
                reject(path, n,
                       f"{what_id} nomor {n} ({label}) tidak tercatat; tulis 0 bila tanpa suara",
                       f"{what_en} number {n} ({label}) is missing; write 0 if it got no votes")

    v = sheet.votes
    if sheet.contest is Contest.PPWP:
        entries("votes.tickets", [t.number for t in v.tickets],
                {t.number: f"{t.president} – {t.vice_president}" for t in ballot.tickets},
                "paslon", "ticket")
    elif sheet.contest is Contest.DPD:
        entries("votes.candidates", [c.number for c in v.candidates],
                {c.number: c.name for c in ballot.candidates}, "calon DPD", "DPD candidate")
    else:
        lists = {pl.party.number: pl for pl in ballot.parties}
        entries("votes.parties", [p.number for p in v.parties],
                {n: pl.party.abbreviation for n, pl in lists.items()}, "partai", "party")
        for i, p in enumerate(v.parties):
            if p.number in lists:
                pl = lists[p.number]
                entries(f"votes.parties[{i}].candidates", [c.number for c in p.candidates],
                        {c.number: c.name for c in pl.candidates},
                        f"calon partai {p.number} ({pl.party.abbreviation})",
                        f"candidate of party {p.number} ({pl.party.abbreviation})")
    return out


def reference_cap_results(sheet: Sheet) -> list[tuple[str, int]]:
    v, t = sheet.voters, sheet.totals
    cap = v.A.J + v.B2.J + v.B3.J
    return [(p, n) for p, n in [*vote_fields(sheet), ("totals.C", t.C)] if n > cap]


def _mutate_entries(items: list[Any], rnd: random.Random, make: Any) -> None:
    for _ in range(rnd.randrange(3)):
        what = rnd.randrange(5)
        if what == 0 and items:
            items.pop(rnd.randrange(len(items)))
        elif what == 1 and items:
            items.append(dict(items[rnd.randrange(len(items))]))
        elif what == 2:
            items.append(make(rnd.randrange(1, 40)))
        elif what == 3 and items:
            items[rnd.randrange(len(items))]["number"] = rnd.randrange(1, 40)
        elif items:
            key = "total" if "total" in items[0] else "votes"
            items[rnd.randrange(len(items))][key] = rnd.randrange(0, 400)


@settings(max_examples=300, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.randoms(use_true_random=False))
def test_ballot_and_cap_rules_give_what_the_plain_checks_gave(
    tps: Tps, contest: Contest, rnd: random.Random
) -> None:
    ballot = sample_ballot(contest, tps.code, seats=rnd.randrange(1, 8),
                           dpd_candidates=rnd.randrange(1, 20))
    doc = msgspec.json.decode(encode(generate_sheet(ballot, tps, rnd.randrange(1000))))
    votes = doc["votes"]
    if rnd.random() < 0.8:
        entry = lambda n: {"number": n, "votes": 0}  # noqa: E731
        for name in ("tickets", "candidates"):
            if name in votes:
                _mutate_entries(votes[name], rnd, entry)
        if "parties" in votes:
            _mutate_entries(votes["parties"], rnd, lambda n: {
                "number": n, "party_votes": 0, "candidates": [], "total": 0})
            for block in votes["parties"]:
                if rnd.random() < 0.3:
                    _mutate_entries(block["candidates"], rnd, entry)
    sheet = msgspec.convert(doc, Sheet, strict=True)
    assert check_ballot(sheet, ballot, tps) == reference_ballot_results(sheet, ballot, tps)
    got = [(next(iter(r.values)), next(iter(r.values.values())))
           for r in check_arithmetic(sheet) if r.code == "CH-VOTES-LE-CAP"]
    assert got == reference_cap_results(sheet)


# Counts that move together (sign: +1 or -1) so that a clean sheet breaks one
# rule at a time: a row's L with its J, a ballot line against the unused ones, …
_ROWS = ("voters.A", "voters.B1", "voters.B2", "voters.B3", "voters.B4", "disabled")
_LINKED: list[list[tuple[str, int]]] = [
    *([(f"{row}.{part}", 1), (f"{row}.J", 1)] for row in _ROWS for part in "LP"),
    [("ballots.1", 1), ("ballots.4", 1)],
    [("ballots.3", 1), ("ballots.4", -1)],
    [("totals.B", 1), ("totals.C", 1)],
    [("ballots.2", 1), ("ballots.4", -1), ("totals.B", 1), ("totals.C", 1)],
    *([(f"voters.B4.{part}", 1), ("voters.B4.J", 1), ("ballots.2", 1), ("ballots.4", -1),
       ("totals.B", 1), ("totals.C", 1)] for part in "LP"),
    *([(f"voters.A.{part}", -1), ("voters.A.J", -1), ("ballots.1", -1), ("ballots.4", -1)]
      for part in "LP"),
    *([(f"disabled.{part}", 1), ("disabled.J", 1)] for part in "LP"),
]


def test_every_linked_change_of_a_clean_sheet_is_judged_alike_quick_or_explained() -> None:
    for contest in Contest:
        for i in range(3):
            tps = sample_tps(f"33{i}0011001001", dpt_l=60 + 40 * i, dpt_p=70 + 30 * i)
            clean = generate_sheet(sample_ballot(contest, tps.code), tps, i)
            for group in _LINKED:
                for step in (-1, 1, 2, 7, 40, 300):
                    values = dict(count_fields(clean))
                    for path, sign in group:
                        values[path] = max(0, values[path] + sign * step)
                    sheet = with_counts(clean, values)
                    for dpt_limit in (None, 300, tps.dpt - 1):
                        explained = _explain_arithmetic(sheet, dpt_limit)
                        assert _arithmetic_holds(sheet, dpt_limit) == (explained == []), (
                            group, step, [r.code for r in explained])


@settings(max_examples=400, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.randoms(use_true_random=True),
       st.sampled_from(["none", "300", "dpt", "dpt-1"]))
def test_the_quick_arithmetic_check_passes_exactly_the_sheets_with_nothing_to_explain(
    tps: Tps, contest: Contest, rnd: random.Random, limit: str
) -> None:
    sheet = generate_sheet(sample_ballot(contest, tps.code), tps, rnd.randrange(1000))
    values = dict(count_fields(sheet))
    for _ in range(rnd.choice([0, 1, 1, 2])):
        step = rnd.choice([-1, 1, 2, rnd.randrange(-5, 300)])
        group = (rnd.choice(_LINKED) if rnd.random() < 0.7
                 else [(rnd.choice(list(values)), 1)])
        for path, sign in group:
            values[path] = max(0, values[path] + sign * step)
    sheet = with_counts(sheet, values)
    dpt_limit = {"none": None, "300": 300, "dpt": tps.dpt, "dpt-1": tps.dpt - 1}[limit]
    explained = _explain_arithmetic(sheet, dpt_limit)
    assert _arithmetic_holds(sheet, dpt_limit) == (explained == [])
    assert check_arithmetic(sheet, dpt_limit=dpt_limit) == explained


@settings(max_examples=200, deadline=None)
@given(sheets(), st.sampled_from([None, 300]))
def test_the_quick_arithmetic_check_agrees_on_arbitrary_sheets(
    sheet: Sheet, dpt_limit: int | None
) -> None:
    explained = _explain_arithmetic(sheet, dpt_limit)
    assert _arithmetic_holds(sheet, dpt_limit) == (explained == [])
