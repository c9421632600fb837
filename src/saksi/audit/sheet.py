"""The C.Hasil sheet (docs/sheet-format.md): strict canonical decoding and the rules.

``decode_sheet`` accepts only the canonical bytes a signature may cover;
``check`` recomputes every rule and returns the codes that fire.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add, sub
from typing import Annotated

import msgspec

from saksi.audit.tlog import FormatError

Count = Annotated[int, msgspec.Meta(ge=0, le=10**9)]
Number = Annotated[int, msgspec.Meta(ge=1, le=999)]
CONTESTS = ("ppwp", "dpr", "dpd", "dprd-prov", "dprd-kabkota")
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
    (``assess`` gets it for free while comparing with the ballot; then call
    ``in_canonical_order`` when it reports a mismatch)."""
    if len(payload) > 65_536:
        raise FormatError("CH-SHAPE")
    try:
        s = _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        # invalid UTF-8 surfaces as UnicodeDecodeError
        raise FormatError("CH-SHAPE") from None
    if (s.schema != "saksi/c-hasil/v1" or not TPS_RE.match(s.tps)
            or (s.photo_sha256 is not None and not HEX64.match(s.photo_sha256))
            or (s.reason is not None and len(unicodedata.normalize("NFC", s.reason)) > 500)):
        raise FormatError("CH-SHAPE")
    v = s.votes
    # only the contest's own list may hold entries
    contest = s.contest
    if contest == "ppwp":
        rows: list[Entry] | list[PartyRow] = v.tickets
        others = v.candidates or v.parties
    elif contest == "dpd":
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
    v = s.votes
    # equal numbers only occur in sheets CH-BALLOT rejects; their order is not checked here
    seqs = [[e.number for e in v.tickets], [e.number for e in v.candidates],
            [p.number for p in v.parties]]
    seqs += ([e.number for e in p.candidates] for p in v.parties)
    return all(seq == sorted(seq) for seq in seqs)


# ------------------------------------------------------------------ rules
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
    sizes: list[int] = field(init=False)  # candidates per party
    starts: list[int] = field(init=False)  # where each party's candidates begin in ``flat``
    ends: list[int] = field(init=False)

    def __post_init__(self) -> None:
        sizes = [len(c) for c in self.candidates]
        ends = list(accumulate(sizes))
        object.__setattr__(self, "party", self.contest in PARTY_CONTESTS)
        object.__setattr__(self, "flat", [n for c in self.candidates for n in c])
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "starts", [0, *ends[:-1]])
        object.__setattr__(self, "ends", ends)

    @property
    def flat_candidates(self) -> list[tuple[int, int]]:
        """(party, candidate) in the order of an assessed sheet's candidate votes."""
        return [(p, c) for p, cs in zip(self.numbers, self.candidates, strict=True) for c in cs]


@dataclass(frozen=True, slots=True)
class TpsInfo:
    name: str
    dpt_l: int
    dpt_p: int


# (matches the ballot, flags, votes per choice, party-only votes, candidate votes), the
# vote lists aligned with the BallotSpec (candidates flattened party by party)
Assessed = tuple[bool, tuple[str, ...], list[int], list[int], list[int]]
_MISMATCH: Assessed = (False, (), [], [], [])


def assess(s: Sheet, spec: BallotSpec, tps: TpsInfo) -> Assessed:
    """Section IV against the ballot (CH-BALLOT) and every flag rule (sheet-format.md §3).

    Per-sheet Python work bounds the verifier's speed: each list is read by one flat
    comprehension (attribute reads of struct slots are the cheapest access there is) and
    the per-party sums come from one running sum, cut at the ballot's party boundaries."""
    v = s.votes
    party_only: list[int] = []
    cands: list[int] = []
    broken = False
    if spec.party:
        parties = v.parties
        # numbers, list lengths and flattened candidate numbers equal <=> same ballot
        if ([p.number for p in parties] != spec.numbers
                or [len(p.candidates) for p in parties] != spec.sizes
                or [c.number for p in parties for c in p.candidates] != spec.flat):
            return _MISMATCH
        cands = [c.votes for p in parties for c in p.candidates]
        choices = [p.total for p in parties]
        party_only = [p.party_votes for p in parties]
        run = list(accumulate(cands, initial=0))
        # each party's total must be its party-only votes plus its candidates' votes
        broken = list(map(add, party_only, map(sub, map(run.__getitem__, spec.ends),
                                               map(run.__getitem__, spec.starts)))) != choices
        # counts are >= 0: where every total is its parts' sum, no part exceeds its total
        top = max(choices, default=0) if not broken else max(
            max(choices, default=0), max(party_only, default=0), max(cands, default=0))
    else:
        rows = v.tickets if s.contest == "ppwp" else v.candidates
        if [e.number for e in rows] != spec.numbers:
            return _MISMATCH
        choices = [e.votes for e in rows]
        top = max(choices, default=0)
    out: list[str] = []
    vo = s.voters
    a, b1, b2, b3, b4, d = vo.A, vo.B1, vo.B2, vo.B3, vo.B4, s.disabled
    if (a.J != a.L + a.P or b1.J != b1.L + b1.P or b2.J != b2.L + b2.P
            or b3.J != b3.L + b3.P or b4.J != b4.L + b4.P or d.J != d.L + d.P):
        out.append("CH-LP-SUM")
    if (b4.L != b1.L + b2.L + b3.L or b4.P != b1.P + b2.P + b3.P
            or b4.J != b1.J + b2.J + b3.J):
        out.append("CH-B4-SUM")
    if b1.L > a.L or b1.P > a.P or b1.J > a.J:
        out.append("CH-B1-LE-A")
    if a.J > MAX_DPT and not tps.name.upper().startswith("POS"):
        out.append("CH-DPT-MAX")
    if tps.dpt_l != a.L or tps.dpt_p != a.P or tps.dpt_l + tps.dpt_p != a.J:
        out.append("CH-A-EQ-DPT")
    bal = s.ballots
    if bal.received != bal.used + bal.damaged + bal.unused:
        out.append("CH-BALLOTS-SUM")
    if bal.received > a.J + (2 * a.J + 99) // 100:
        out.append("CH-BALLOTS-RESERVE")
    if bal.used != b4.J:
        out.append("CH-USED-EQ-VOTERS")
    t = s.totals
    if sum(choices) != t.A or broken:
        out.append("CH-VALID-SUM")
    if t.C != t.A + t.B:
        out.append("CH-TOTAL-SUM")
    if bal.used != t.C:
        out.append("CH-TOTAL-EQ-USED")
    if d.J > b4.J:
        out.append("CH-DISABLED-LE-B4")
    cap = a.J + b2.J + b3.J
    if cap < t.C or top > cap:
        out.append("CH-VOTES-LE-CAP")
    return (True, tuple(out), choices, party_only, cands)
