"""Canonical bytes: one sheet, one byte string; parsing accepts any spelling."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sheets_strategies import sheets

from saksi.election.model import Contest
from saksi.sheets.canonical import (
    SheetShapeError,
    decode,
    decode_canonical,
    encode,
    encode_pretty,
    is_canonical,
)
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

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sheet-format.md"

EXAMPLE = Sheet(
    schema=SCHEMA, contest=Contest.PPWP, tps="3171011001001", revision=1,
    voters=Voters(A=LPJ(L=121, P=127, J=248), B1=LPJ(L=101, P=110, J=211),
                  B2=LPJ(L=2, P=1, J=3), B3=LPJ(L=0, P=1, J=1), B4=LPJ(L=103, P=112, J=215)),
    ballots=Ballots(received=253, used=215, damaged=1, unused=37),
    disabled=LPJ(L=1, P=0, J=1),
    votes=Votes(tickets=(Entry(number=1, votes=84), Entry(number=2, votes=97),
                         Entry(number=3, votes=28))),
    totals=Totals(A=209, B=6, C=215),
)
EXAMPLE_BYTES = (
    b'{"ballots":{"1":253,"2":215,"3":1,"4":37},"contest":"ppwp","disabled":{"J":1,"L":1,'
    b'"P":0},"revision":1,"schema":"saksi/c-hasil/v1","totals":{"A":209,"B":6,"C":215},'
    b'"tps":"3171011001001","voters":{"A":{"J":248,"L":121,"P":127},"B1":{"J":211,"L":101,'
    b'"P":110},"B2":{"J":3,"L":2,"P":1},"B3":{"J":1,"L":0,"P":1},"B4":{"J":215,"L":103,'
    b'"P":112}},"votes":{"tickets":[{"number":1,"votes":84},{"number":2,"votes":97},'
    b'{"number":3,"votes":28}]}}'
)
EXAMPLE_SHA256 = "1ada252e71602e5f92c53a2b6403f642a221159507bb8c097a5475b47e76349d"


def test_the_worked_example_has_exactly_these_bytes_and_hash() -> None:
    assert encode(EXAMPLE) == EXAMPLE_BYTES
    assert hashlib.sha256(EXAMPLE_BYTES).hexdigest() == EXAMPLE_SHA256


def test_the_format_document_shows_the_same_worked_example() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert EXAMPLE_BYTES.decode() in text
    assert EXAMPLE_SHA256 in text


@given(sheets())
def test_decode_of_encode_is_the_same_sheet(sheet: Sheet) -> None:
    assert decode(encode(sheet)) == sheet
    assert decode_canonical(encode(sheet)) == sheet


@given(sheets())
def test_encode_of_canonical_bytes_gives_them_back(sheet: Sheet) -> None:
    data = encode(sheet)
    assert is_canonical(data)
    assert encode(decode(data)) == data
    assert encode(sheet) == data  # stable


@given(sheets())
def test_any_spelling_parses_to_the_same_sheet_but_only_one_is_canonical(sheet: Sheet) -> None:
    pretty = encode_pretty(sheet)
    assert decode(pretty) == sheet
    assert not is_canonical(pretty)
    with pytest.raises(SheetShapeError):
        decode_canonical(pretty)
    # msgspec writes struct fields in declaration order, not sorted order
    unsorted = msgspec.json.encode(sheet)
    assert decode(unsorted) == sheet
    assert not is_canonical(unsorted)


@given(sheets(), st.randoms())
def test_entries_in_any_order_give_the_same_bytes(sheet: Sheet, rnd: random.Random) -> None:
    v = sheet.votes
    shuffled = Votes(
        tickets=tuple(rnd.sample(v.tickets, len(v.tickets))),
        candidates=tuple(rnd.sample(v.candidates, len(v.candidates))),
        parties=tuple(rnd.sample(v.parties, len(v.parties))),
    )
    other = msgspec.structs.replace(sheet, votes=shuffled)
    assert other == sheet
    assert encode(other) == encode(sheet)


def test_lists_are_written_in_ballot_order() -> None:
    votes = Votes(parties=(
        PartyVotes(number=3, party_votes=1, candidates=(Entry(2, 1), Entry(1, 0)), total=2),
        PartyVotes(number=1, party_votes=0, candidates=(), total=0),
    ))
    assert [p.number for p in votes.parties] == [1, 3]
    assert [c.number for c in votes.parties[1].candidates] == [1, 2]


@pytest.mark.parametrize(
    ("spelling", "why"),
    [
        (EXAMPLE_BYTES + b"\n", "trailing newline"),
        (EXAMPLE_BYTES.replace(b'"revision":1', b'"revision": 1'), "insignificant space"),
        (EXAMPLE_BYTES.replace(b'"revision":1,', b'"revision":1,"reason":null,'), "explicit null"),
        (EXAMPLE_BYTES.replace(b'"ppwp"', b'"\\u0070pwp"'), "needless escape"),
        (EXAMPLE_BYTES.replace(b'{"ballots"', b'{"revision":1,"ballots"', 1), "duplicate key"),
        (EXAMPLE_BYTES.replace(b'{"number":1,"votes":84},{"number":2,"votes":97}',
                               b'{"number":2,"votes":97},{"number":1,"votes":84}'),
         "tickets out of ballot order"),
        (b"\xef\xbb\xbf" + EXAMPLE_BYTES, "byte-order mark"),
    ],
)
def test_non_canonical_spellings_are_not_canonical(spelling: bytes, why: str) -> None:
    assert not is_canonical(spelling), why
    with pytest.raises(SheetShapeError):
        decode_canonical(spelling)


def test_strings_are_nfc_and_escaped_minimally() -> None:
    decomposed = "Perbaikan: e\u0301 \"kutip\" \\ baris\nbaru\ttab \x01 ✓"
    sheet = msgspec.structs.replace(EXAMPLE, reason=decomposed)
    assert sheet.reason == unicodedata.normalize("NFC", decomposed)
    data = encode(sheet)
    assert (
        '"reason":"Perbaikan: \u00e9 \\"kutip\\" \\\\ baris\\nbaru\\ttab \\u0001 ✓"'.encode()
        in data
    )
    assert decode(data) == sheet
    # a non-NFC spelling on the wire parses, but is not canonical
    wire = data.replace("\u00e9".encode(), "e\u0301".encode())
    assert decode(wire) == sheet
    assert not is_canonical(wire)


def test_nfc_may_not_lengthen_a_reason_past_the_limit() -> None:
    # U+0958 has no NFC composite: it decomposes into two code points
    reason = "\u0958" * 300
    data = EXAMPLE_BYTES.replace(b'"revision":1,', f'"reason":"{reason}","revision":1,'.encode())
    with pytest.raises(SheetShapeError) as err:
        decode(data)
    assert err.value.field == "reason"
