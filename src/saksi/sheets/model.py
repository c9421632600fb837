"""The C.Hasil tally sheet as frozen, strictly parsed wire structs.

Field names follow form C.Hasil (``docs/sheet-format.md``): section I is
``voters`` (A, B1–B4, each L/P/J), II is ``ballots`` ("1"–"4"), III is
``disabled`` (L/P/J), IV is ``votes`` and V is ``totals`` (A, B, C).

Every ``Sheet`` is normalised on construction — entries sorted by ballot
number and ``reason`` in Unicode NFC — so that one sheet has exactly one
canonical encoding whichever way it was built.

The structs are frozen and hold only numbers, text and tuples of one another,
so they can form no reference cycle: ``gc=False`` keeps the hundred or so
structs of a decoded party sheet out of the cycle collector's way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Annotated, Any, Final, TypeVar

import msgspec

from saksi.election.model import Contest

SCHEMA: Final = "saksi/c-hasil/v1"
MAX_DOCUMENT_BYTES: Final = 64 * 1024
MAX_COUNT: Final = 10**9
MAX_TEXT: Final = 500
MAX_ENTRIES: Final = 100  # parties, tickets or candidates in one list
MAX_BALLOT_NUMBER: Final = 999

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
Number = Annotated[int, msgspec.Meta(ge=1, le=MAX_BALLOT_NUMBER)]
Revision = Annotated[int, msgspec.Meta(ge=1, le=MAX_COUNT)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
# \A…\Z, not ^…$: "$" would also match before a trailing newline.
SchemaName = Annotated[str, msgspec.Meta(pattern=rf"\A{re.escape(SCHEMA)}\Z")]
# KPU numbers overseas cities past 9999 as 99AA, 99AB, …: capitals only under 99.
TpsCode = Annotated[str, msgspec.Meta(pattern=r"\A(?:[0-9]{13}|99[0-9A-Z]{11})\Z")]
Sha256Hex = Annotated[str, msgspec.Meta(pattern=r"\A[0-9a-f]{64}\Z")]
Entries = Annotated[tuple["Entry", ...], msgspec.Meta(max_length=MAX_ENTRIES)]
PartyBlocks = Annotated[tuple["PartyVotes", ...], msgspec.Meta(max_length=MAX_ENTRIES)]


_E = TypeVar("_E", "Entry", "PartyVotes")


class LPJ(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One row split by sex: L (male), P (female), J (total)."""

    L: Count
    P: Count
    J: Count


class Voters(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Section I."""

    A: LPJ
    B1: LPJ
    B2: LPJ
    B3: LPJ
    B4: LPJ


class Ballots(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Section II: ballot papers, numbered as on the form."""

    received: Count = msgspec.field(name="1")
    used: Count = msgspec.field(name="2")
    damaged: Count = msgspec.field(name="3")
    unused: Count = msgspec.field(name="4")


class Entry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Votes of one presidential ticket, DPD candidate or party candidate."""

    number: Number
    votes: Count


class PartyVotes(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One party's block in a party contest."""

    number: Number
    party_votes: Count  # votes for the party alone
    candidates: Entries
    total: Count  # party_votes + all its candidates' votes

    def __post_init__(self) -> None:
        # The first pass of ``_by_number``, inline: this runs for every block of
        # every party sheet decoded, and nearly always finds it in ballot order.
        previous = 0
        for e in self.candidates:
            if e.number <= previous:
                break
            previous = e.number
        else:
            if type(self.candidates) is tuple:
                return
        msgspec.structs.force_setattr(self, "candidates", _by_number(self.candidates))


class Votes(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False,
           omit_defaults=True):
    """Section IV. Exactly one list is used, according to the contest."""

    tickets: Entries = ()
    candidates: Entries = ()
    parties: PartyBlocks = ()

    def __post_init__(self) -> None:
        for name in ("tickets", "candidates", "parties"):
            entries = getattr(self, name)
            if entries:
                ordered = _by_number(entries)
                if ordered is not entries:
                    msgspec.structs.force_setattr(self, name, ordered)
            elif type(entries) is not tuple:  # an empty list given for a tuple field
                msgspec.structs.force_setattr(self, name, ())


class Totals(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Section V: A valid, B invalid, C all votes."""

    A: Count
    B: Count
    C: Count


class Sheet(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False,
           omit_defaults=True):
    """One contest's C.Hasil at one TPS, as signed by its KPPS device."""

    schema: SchemaName
    contest: Contest
    tps: TpsCode
    revision: Revision
    voters: Voters
    ballots: Ballots
    disabled: LPJ
    votes: Votes
    totals: Totals
    reason: Text | None = None
    photo_sha256: Sha256Hex | None = None

    def __post_init__(self) -> None:
        if self.reason is not None and not unicodedata.is_normalized("NFC", self.reason):
            nfc = unicodedata.normalize("NFC", self.reason)
            if len(nfc) > MAX_TEXT:  # NFC can lengthen a text; the limit holds after it
                raise ValueError(f"reason longer than {MAX_TEXT} characters after NFC")
            msgspec.structs.force_setattr(self, "reason", nfc)


def _by_number(entries: tuple[_E, ...]) -> tuple[_E, ...]:
    # Ballot order is part of the canonical form. Duplicate numbers (which
    # CH-BALLOT rejects) are ordered by their content so that even such a
    # sheet has one encoding whatever order it was written in.
    # Almost every sheet arrives already in ballot order: one linear check
    # (strictly increasing, hence no duplicates) spares the sort.
    previous = 0
    for e in entries:
        if e.number <= previous:
            break
        previous = e.number
    else:
        return entries if type(entries) is tuple else tuple(entries)
    if len({e.number for e in entries}) == len(entries):
        return tuple(sorted(entries, key=lambda e: e.number))
    return tuple(sorted(entries, key=lambda e: (e.number, msgspec.json.encode(e))))


# ---------------------------------------------------------------- field paths
#
# A path names one number on the sheet the way messages and rules cite it:
# ``voters.B1.L``, ``ballots.2``, ``votes.parties[3].candidates[2].votes``.
# List indices are positions in the sheet's (ballot-ordered) lists.

_STEP = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def count_fields(sheet: Sheet) -> list[tuple[str, int]]:
    """Every count on the sheet (sections I–V) with its path, in form order."""
    return list(_iter_counts(sheet))


def vote_fields(sheet: Sheet) -> list[tuple[str, int]]:
    """The counts of section IV only."""
    return [(p, v) for p, v in _iter_counts(sheet) if p.startswith("votes.")]


def _iter_counts(sheet: Sheet) -> Iterator[tuple[str, int]]:
    for row in ("A", "B1", "B2", "B3", "B4"):
        lpj: LPJ = getattr(sheet.voters, row)
        for part in ("L", "P", "J"):
            yield f"voters.{row}.{part}", getattr(lpj, part)
    b = sheet.ballots
    yield from (("ballots.1", b.received), ("ballots.2", b.used))
    yield from (("ballots.3", b.damaged), ("ballots.4", b.unused))
    for part in ("L", "P", "J"):
        yield f"disabled.{part}", getattr(sheet.disabled, part)
    for i, t in enumerate(sheet.votes.tickets):
        yield f"votes.tickets[{i}].votes", t.votes
    for i, c in enumerate(sheet.votes.candidates):
        yield f"votes.candidates[{i}].votes", c.votes
    for i, p in enumerate(sheet.votes.parties):
        yield f"votes.parties[{i}].party_votes", p.party_votes
        for j, c in enumerate(p.candidates):
            yield f"votes.parties[{i}].candidates[{j}].votes", c.votes
        yield f"votes.parties[{i}].total", p.total
    for part in ("A", "B", "C"):
        yield f"totals.{part}", getattr(sheet.totals, part)


def split_path(path: str) -> list[str | int]:
    """``"votes.parties[3].total"`` → ``["votes", "parties", 3, "total"]``."""
    steps: list[str | int] = []
    for piece in path.split("."):
        m = _STEP.fullmatch(piece)
        if m is None:
            raise ValueError(f"not a field path: {path!r}")
        steps.append(m.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return steps


def value_at(document: object, path: str) -> object:
    """The value at ``path`` inside a decoded JSON document (KeyError/IndexError/TypeError
    if absent)."""
    node: Any = document
    for step in split_path(path):
        node = node[step]
    return node


def with_counts(sheet: Sheet, changes: dict[str, int]) -> Sheet:
    """A copy of ``sheet`` with the counts at the given paths replaced."""
    doc: Any = msgspec.to_builtins(sheet)
    for path, value in changes.items():
        steps = split_path(path)
        node = doc
        for step in steps[:-1]:
            node = node[step]
        if not isinstance(node[steps[-1]], int):
            raise ValueError(f"not a count: {path!r}")
        node[steps[-1]] = value
    return msgspec.convert(doc, Sheet, strict=True)
