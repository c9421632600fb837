"""The C.Hasil sheet (docs/sheet-format.md): strict canonical decoding and the rules.

``decode_sheet`` accepts only the canonical bytes a signature may cover; ``facts_of``
reduces a sheet to flat ``Facts``; ``judge`` compares them with the ballot and
recomputes every rule. ``read_facts`` gets the facts straight from canonical bytes with
the optional C accelerator (``_accel.c``), for which this module is the reference.
"""

from __future__ import annotations

import re
import struct
import sys
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from operator import add, sub
from typing import Annotated, NamedTuple

import msgspec

from saksi.audit.tlog import FormatError

try:
    from saksi.audit import _accel
except ImportError:  # installed without a C compiler: the Python path serves alone
    _accel = None  # type: ignore[assignment]

Count = Annotated[int, msgspec.Meta(ge=0, le=10**9)]
Number = Annotated[int, msgspec.Meta(ge=1, le=999)]
SCHEMA = "saksi/c-hasil/v1"
CONTESTS = ("ppwp", "dpr", "dpd", "dprd-prov", "dprd-kabkota")
# the contests by the section IV list they fill
TICKET_CONTESTS = ("ppwp",)
CANDIDATE_CONTESTS = ("dpd",)
PARTY_CONTESTS = ("dpr", "dprd-prov", "dprd-kabkota")
TPS_RE = re.compile(r"\A(?:[0-9]{13}|99[0-9A-Z]{11})\Z")  # sheet-format.md `tps`
HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
MAX_LIST = 100
MAX_DPT = 300


class LPJ(msgspec.Struct, forbid_unknown_fields=True, gc=False, array_like=False):
    J: Count
    L: Count
    P: Count


class Ballots(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    received: Count = msgspec.field(name="1")
    used: Count = msgspec.field(name="2")
    damaged: Count = msgspec.field(name="3")
    unused: Count = msgspec.field(name="4")


class Voters(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    A: LPJ
    B1: LPJ
    B2: LPJ
    B3: LPJ
    B4: LPJ


class Entry(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    number: Number
    votes: Count


class PartyRow(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    candidates: list[Entry]
    number: Number
    party_votes: Count
    total: Count


class Votes(msgspec.Struct, forbid_unknown_fields=True, gc=False, omit_defaults=True):
    # an empty list is written as absent (and absent reads as empty)
    candidates: list[Entry] = []
    parties: list[PartyRow] = []
    tickets: list[Entry] = []


class Totals(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    A: Count
    B: Count
    C: Count


class Sheet(msgspec.Struct, forbid_unknown_fields=True, gc=False, omit_defaults=True, kw_only=True):
    # declared in code-point order of the JSON keys, so msgspec writes canonical bytes
    # directly (every nested struct is declared in key order too)
    ballots: Ballots
    contest: str
    disabled: LPJ
    photo_sha256: str | None = None
    reason: str | None = None
    revision: Annotated[int, msgspec.Meta(ge=1, le=10**9)]
    schema: str
    totals: Totals
    tps: str
    voters: Voters
    votes: Votes


_decoder = msgspec.json.Decoder(Sheet)
_encoder = msgspec.json.Encoder()


def encode_sheet(s: Sheet) -> bytes:
    """Canonical bytes: keys in code-point order, absent optionals omitted."""
    return _encoder.encode(s)


def decode_sheet(payload: bytes, *, check_order: bool = True) -> Sheet:
    """The sheet in ``payload``; FormatError('CH-SHAPE' | 'CH-CANONICAL') otherwise.

    ``check_order=False`` leaves the ballot-order part of canonical form to the caller
    (``judge`` gets it for free while comparing the layout with the ballot's; then call
    ``in_canonical_order`` when it reports a mismatch)."""
    if len(payload) > 65_536:
        raise FormatError("CH-SHAPE")
    try:
        s = _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        # invalid UTF-8 surfaces as UnicodeDecodeError
        raise FormatError("CH-SHAPE") from None
    if (s.schema != SCHEMA or not TPS_RE.match(s.tps)
            or (s.photo_sha256 is not None and not HEX64.match(s.photo_sha256))
            or (s.reason is not None and len(unicodedata.normalize("NFC", s.reason)) > 500)):
        raise FormatError("CH-SHAPE")
    v = s.votes
    # only the contest's own list may hold entries
    contest = s.contest
    if contest in TICKET_CONTESTS:
        rows: list[Entry] | list[PartyRow] = v.tickets
        others = v.candidates or v.parties
    elif contest in CANDIDATE_CONTESTS:
        rows, others = v.candidates, v.tickets or v.parties
    elif contest in PARTY_CONTESTS:
        rows, others = v.parties, v.tickets or v.candidates
        if any([len(p.candidates) > MAX_LIST for p in v.parties]):
            raise FormatError("CH-SHAPE")
    else:
        raise FormatError("CH-SHAPE")
    if others or len(rows) > MAX_LIST:
        raise FormatError("CH-SHAPE")
    if s.reason is not None and unicodedata.normalize("NFC", s.reason) != s.reason:
        raise FormatError("CH-CANONICAL")
    if _encoder.encode(s) != payload or (check_order and not in_canonical_order(s)):
        raise FormatError("CH-CANONICAL")
    return s


def in_canonical_order(s: Sheet) -> bool:
    """Every list sorted by ``number``; entries with equal numbers (only in a sheet
    CH-BALLOT rejects) by their own canonical bytes (sheet-format.md §2, step 1)."""
    v = s.votes
    lists: list[Sequence[Entry | PartyRow]] = [v.tickets, v.candidates, v.parties]
    lists += [p.candidates for p in v.parties]
    return all(_sorted(rows) for rows in lists)


def _sorted(rows: Sequence[Entry | PartyRow]) -> bool:
    numbers = [r.number for r in rows]
    if numbers != sorted(numbers):
        return False
    if len(set(numbers)) == len(numbers):
        return True
    return all(a.number < b.number or _encoder.encode(a) <= _encoder.encode(b)
               for a, b in pairwise(rows))


# ------------------------------------------------------------------ facts
class Facts(NamedTuple):
    """A sheet reduced to what the verifier needs beyond its bytes (``facts_of``). The C
    accelerator builds the same tuple in one pass over canonical bytes (``read_facts``);
    the tests hold the two equal."""

    tps: str
    contest: str
    revision: int
    reason: str | None
    # in the order of the canonical bytes: ballots 1 2 3 4; disabled J L P; totals A B C;
    # voters A, B1, B2, B3, B4, each J L P (25 counts)
    figures: tuple[int, ...]
    layout: bytes  # the ballot numbers in sheet order (``layout``)
    votes: bytes  # figures and vote lists as ``pack`` writes them
    choices_sum: int
    top: int  # the largest figure CH-VOTES-LE-CAP holds against the cap
    broken: bool  # some party's total is not its party-only plus its candidates' votes


def layout(numbers: list[int], candidates: list[list[int]] | None = None) -> bytes:
    """Little-endian uint16s: ``numbers`` (tickets, DPD candidates) or, with the parties'
    ``candidates``, the number of parties, their numbers, their lists' lengths and every
    list's numbers in turn. Each word sequence has one reading, so equal layouts are equal
    ballots (and a sheet whose layout equals its ballot's, which is sorted, is in
    canonical order). Flat lists, not party by party: that is cheap on both paths."""
    if candidates is None:
        return struct.pack(f"<{len(numbers)}H", *numbers)
    if len(candidates) != len(numbers):
        raise ValueError("one candidate list per party")
    flat = [n for c in candidates for n in c]
    return _party_layout(numbers, [len(c) for c in candidates], flat)


def _party_layout(numbers: list[int], sizes: list[int], flat: list[int]) -> bytes:
    return struct.pack(f"<{1 + 2 * len(numbers) + len(flat)}H", len(numbers), *numbers,
                       *sizes, *flat)


def pack(figures: tuple[int, int, int, int, int], choices: list[int], party_only: list[int],
         candidates: list[int]) -> bytes:
    """Little-endian uint64s: DPT, voters, valid, invalid, total, then votes per choice,
    party-only votes and candidate votes in the order of the TPS's ballot.

    Compact to send between processes and to keep per current version; read as one
    integer, the sum of such integers is the field-wise sum (every count is at most 10^9,
    so a field would overflow only past 1.8·10^10 sheets)."""
    out = array("Q", figures)
    out.extend(choices)
    out.extend(party_only)
    out.extend(candidates)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def unpack(votes: bytes) -> list[int]:
    """The fields of ``pack``'s bytes (or of a sum of them, written back as bytes)."""
    out = array("Q", votes)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tolist()


def add_lanes_py(acc: bytearray, lanes: bytes | bytearray, subtract: bool) -> None:
    """``acc`` += ``lanes`` (or -=), both ``pack``'s form, ``acc`` first grown with zero
    lanes to fit: added as integers, every lane at once (exact while no lane leaves
    [0, 2^64): sums of counts of at most 10^9, and only what was added is subtracted).
    The reference of ``_accel.add_lanes``, which adds in place without the conversions."""
    if len(acc) % 8 or len(lanes) % 8:
        raise ValueError("add_lanes: lengths must be multiples of 8")
    if len(acc) < len(lanes):
        acc.extend(bytes(len(lanes) - len(acc)))
    a, b = int.from_bytes(acc, "little"), int.from_bytes(lanes, "little")
    acc[:] = (a - b if subtract else a + b).to_bytes(len(acc), "little")


add_lanes = _accel.add_lanes if _accel is not None else add_lanes_py


def facts_of(s: Sheet) -> Facts:
    """The reference reduction of a decoded sheet (``_accel.sheet`` must equal it)."""
    v, bal, d, t, vo = s.votes, s.ballots, s.disabled, s.totals, s.voters
    a, b1, b2, b3, b4 = vo.A, vo.B1, vo.B2, vo.B3, vo.B4
    figures = (bal.received, bal.used, bal.damaged, bal.unused, d.J, d.L, d.P, t.A, t.B, t.C,
               a.J, a.L, a.P, b1.J, b1.L, b1.P, b2.J, b2.L, b2.P, b3.J, b3.L, b3.P,
               b4.J, b4.L, b4.P)
    party_only: list[int] = []
    cands: list[int] = []
    broken = False
    if s.contest in PARTY_CONTESTS:
        # flat comprehensions and one running sum: without the accelerator this is the
        # verifier's per-sheet cost
        parties = v.parties
        sizes = [len(p.candidates) for p in parties]
        entries = [c for p in parties for c in p.candidates]
        lay = _party_layout([p.number for p in parties], sizes, [c.number for c in entries])
        choices = [p.total for p in parties]
        party_only = [p.party_votes for p in parties]
        cands = [c.votes for c in entries]
        # each party's total must be its party-only votes plus its candidates' votes
        run = list(accumulate(cands, initial=0))
        ends = list(accumulate(sizes))
        broken = list(map(add, party_only, map(sub, map(run.__getitem__, ends),
                                               map(run.__getitem__, [0, *ends[:-1]])))) != choices
        # counts are >= 0: where every total is its parts' sum, no part exceeds its total
        top = max([*choices, *party_only, *cands] if broken else choices, default=0)
    else:
        rows = v.tickets if s.contest in TICKET_CONTESTS else v.candidates
        lay = layout([e.number for e in rows])
        choices = [e.votes for e in rows]
        top = max(choices, default=0)
    votes = pack((a.J, b4.J, t.A, t.B, t.C), choices, party_only, cands)
    return Facts(s.tps, s.contest, s.revision, s.reason, figures, lay, votes, sum(choices),
                 top, broken)


if _accel is not None:
    _accel.configure(Facts, SCHEMA, TICKET_CONTESTS, CANDIDATE_CONTESTS, PARTY_CONTESTS)


def read_facts(payload: bytes) -> Facts:
    """``facts_of(decode_sheet(payload, check_order=False))``: FormatError as there. With
    the accelerator, a sheet it recognises costs one pass over its bytes."""
    if _accel is not None:
        facts = _accel.sheet(payload)
        if facts is not None:
            return facts
    return facts_of(decode_sheet(payload, check_order=False))


# ------------------------------------------------------------------ rules
_NEVER = b"\x00"  # no sheet's layout: those are whole uint16s


@dataclass(frozen=True, slots=True)
class BallotSpec:
    """What section IV must list at one TPS for one contest, in ballot order.

    ``numbers`` are the tickets (ppwp), the DPD candidates, or the parties;
    ``candidates[i]`` are the list of party ``numbers[i]`` (party contests)."""

    contest: str
    numbers: list[int]
    candidates: list[list[int]] = field(default_factory=list)
    # derived once: one ballot checks every sheet of its dapil
    party: bool = field(init=False)
    flat: list[int] = field(init=False)  # candidate numbers, party by party
    layout: bytes = field(init=False)  # what a sheet of this ballot has as ``Facts.layout``

    def __post_init__(self) -> None:
        party = self.contest in PARTY_CONTESTS
        object.__setattr__(self, "party", party)
        object.__setattr__(self, "flat", [n for c in self.candidates for n in c])
        try:
            lay = layout(self.numbers, self.candidates if party else None)
        except (struct.error, ValueError):
            lay = _NEVER  # numbers past uint16 or lists without a party: no sheet matches
        object.__setattr__(self, "layout", lay)

    @property
    def flat_candidates(self) -> list[tuple[int, int]]:
        """(party, candidate) in the order of an assessed sheet's candidate votes."""
        return [(p, c) for p, cs in zip(self.numbers, self.candidates, strict=True) for c in cs]


@dataclass(frozen=True, slots=True)
class TpsInfo:
    name: str
    dpt_l: int
    dpt_p: int


def judge(f: Facts, spec: BallotSpec, tps: TpsInfo) -> tuple[bool, tuple[str, ...]]:
    """Section IV against the ballot (False: CH-BALLOT, and no flags) and every flag rule
    (sheet-format.md §3), in their documented order. A ballot of another contest never
    matches."""
    if f.layout != spec.layout or f.contest != spec.contest:
        return False, ()
    (received, used, damaged, unused, dj, dl, dp, ta, tb, tc, aj, al, ap, b1j, b1l, b1p,
     b2j, b2l, b2p, b3j, b3l, b3p, b4j, b4l, b4p) = f.figures
    out: list[str] = []
    if (aj != al + ap or b1j != b1l + b1p or b2j != b2l + b2p or b3j != b3l + b3p
            or b4j != b4l + b4p or dj != dl + dp):
        out.append("CH-LP-SUM")
    if b4l != b1l + b2l + b3l or b4p != b1p + b2p + b3p or b4j != b1j + b2j + b3j:
        out.append("CH-B4-SUM")
    if b1l > al or b1p > ap or b1j > aj:
        out.append("CH-B1-LE-A")
    if aj > MAX_DPT and not tps.name.upper().startswith("POS"):
        out.append("CH-DPT-MAX")
    if tps.dpt_l != al or tps.dpt_p != ap or tps.dpt_l + tps.dpt_p != aj:
        out.append("CH-A-EQ-DPT")
    if received != used + damaged + unused:
        out.append("CH-BALLOTS-SUM")
    if received > aj + (2 * aj + 99) // 100:
        out.append("CH-BALLOTS-RESERVE")
    if used != b4j:
        out.append("CH-USED-EQ-VOTERS")
    if f.choices_sum != ta or f.broken:
        out.append("CH-VALID-SUM")
    if tc != ta + tb:
        out.append("CH-TOTAL-SUM")
    if used != tc:
        out.append("CH-TOTAL-EQ-USED")
    if dj > b4j:
        out.append("CH-DISABLED-LE-B4")
    cap = aj + b2j + b3j
    if cap < tc or f.top > cap:
        out.append("CH-VOTES-LE-CAP")
    return True, tuple(out)
