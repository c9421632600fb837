"""The C.Hasil sheet (docs/sheet-format.md): strict canonical decoding and the rules.

``decode_sheet`` accepts only the canonical bytes a signature may cover;
``check`` recomputes every rule and returns the codes that fire.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
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


class LPJ(msgspec.Struct, forbid_unknown_fields=True, array_like=False):
    J: Count
    L: Count
    P: Count


class Ballots(msgspec.Struct, forbid_unknown_fields=True):
    received: Count = msgspec.field(name="1")
    used: Count = msgspec.field(name="2")
    damaged: Count = msgspec.field(name="3")
    unused: Count = msgspec.field(name="4")


class Voters(msgspec.Struct, forbid_unknown_fields=True):
    A: LPJ
    B1: LPJ
    B2: LPJ
    B3: LPJ
    B4: LPJ


class Entry(msgspec.Struct, forbid_unknown_fields=True):
    number: Number
    votes: Count


class PartyRow(msgspec.Struct, forbid_unknown_fields=True):
    candidates: list[Entry]
    number: Number
    party_votes: Count
    total: Count


class Votes(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    # an empty list is written as absent (and absent reads as empty)
    candidates: list[Entry] = []
    parties: list[PartyRow] = []
    tickets: list[Entry] = []


class Totals(msgspec.Struct, forbid_unknown_fields=True):
    A: Count
    B: Count
    C: Count


class Sheet(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
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


def decode_sheet(payload: bytes) -> Sheet:
    """The sheet in ``payload``; FormatError('CH-SHAPE' | 'CH-CANONICAL') otherwise."""
    if len(payload) > 65_536:
        raise FormatError("CH-SHAPE")
    try:
        s = _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        # invalid UTF-8 surfaces as UnicodeDecodeError
        raise FormatError("CH-SHAPE") from None
    if (s.schema != "saksi/c-hasil/v1" or s.contest not in CONTESTS or not TPS_RE.match(s.tps)
            or (s.photo_sha256 is not None and not HEX64.match(s.photo_sha256))
            or (s.reason is not None and len(unicodedata.normalize("NFC", s.reason)) > 500)):
        raise FormatError("CH-SHAPE")
    v = s.votes
    wanted = ("tickets" if s.contest == "ppwp" else "candidates" if s.contest == "dpd"
              else "parties")
    # only the contest's own list may hold entries
    if any(getattr(v, other) for other in ("tickets", "candidates", "parties")
           if other != wanted):
        raise FormatError("CH-SHAPE")
    rows: list[Entry] | list[PartyRow] = getattr(v, wanted)
    if len(rows) > MAX_LIST or any(len(p.candidates) > MAX_LIST for p in v.parties):
        raise FormatError("CH-SHAPE")
    if _encoder.encode(s) != payload or not _sorted(s):
        raise FormatError("CH-CANONICAL")
    return s


def _sorted(s: Sheet) -> bool:
    v = s.votes
    if s.reason is not None and unicodedata.normalize("NFC", s.reason) != s.reason:
        return False
    seqs: list[list[int]] = []
    for rows in (v.tickets, v.candidates):
        seqs.append([e.number for e in rows])
    if v.parties:
        seqs.append([p.number for p in v.parties])
        seqs.extend([e.number for e in p.candidates] for p in v.parties)
    # equal numbers only occur in sheets CH-BALLOT rejects; their order is not checked here
    return all(a <= b for seq in seqs for a, b in itertools.pairwise(seq))


# ------------------------------------------------------------------ rules
@dataclass(frozen=True, slots=True)
class BallotSpec:
    """What section IV must list at one TPS for one contest."""

    tickets: frozenset[int] = frozenset()  # ppwp
    candidates: frozenset[int] = frozenset()  # dpd
    parties: tuple[tuple[int, frozenset[int]], ...] = ()  # party contests


@dataclass(frozen=True, slots=True)
class TpsInfo:
    name: str
    dpt_l: int
    dpt_p: int


def ballot_ok(s: Sheet, spec: BallotSpec) -> bool:
    v = s.votes
    if s.contest == "ppwp":
        nums = [e.number for e in v.tickets]
        return len(nums) == len(set(nums)) and set(nums) == spec.tickets
    if s.contest == "dpd":
        nums = [e.number for e in v.candidates]
        return len(nums) == len(set(nums)) and set(nums) == spec.candidates
    parties = v.parties
    got = {p.number: p for p in parties}
    want = dict(spec.parties)
    if len(got) != len(parties) or set(got) != set(want):
        return False
    for n, p in got.items():
        nums = [e.number for e in p.candidates]
        if len(nums) != len(set(nums)) or set(nums) != want[n]:
            return False
    return True


def flags(s: Sheet, tps: TpsInfo) -> list[str]:
    """The flag rules that fire (docs/sheet-format.md §3), in table order, each once."""
    out: list[str] = []
    vo = s.voters
    rows = (vo.A, vo.B1, vo.B2, vo.B3, vo.B4, s.disabled)
    if any(r.J != r.L + r.P for r in rows):
        out.append("CH-LP-SUM")
    if any(getattr(vo.B4, k) != getattr(vo.B1, k) + getattr(vo.B2, k) + getattr(vo.B3, k)
           for k in "LPJ"):
        out.append("CH-B4-SUM")
    if any(getattr(vo.B1, k) > getattr(vo.A, k) for k in "LPJ"):
        out.append("CH-B1-LE-A")
    if not tps.name.upper().startswith("POS") and vo.A.J > MAX_DPT:
        out.append("CH-DPT-MAX")
    if (tps.dpt_l, tps.dpt_p, tps.dpt_l + tps.dpt_p) != (vo.A.L, vo.A.P, vo.A.J):
        out.append("CH-A-EQ-DPT")
    b = s.ballots
    if b.received != b.used + b.damaged + b.unused:
        out.append("CH-BALLOTS-SUM")
    if b.received > vo.A.J + (2 * vo.A.J + 99) // 100:
        out.append("CH-BALLOTS-RESERVE")
    if b.used != vo.B4.J:
        out.append("CH-USED-EQ-VOTERS")
    v, t = s.votes, s.totals
    counts: list[int]
    if s.contest in PARTY_CONTESTS:
        section = sum(p.total for p in v.parties)
        broken = any(p.total != p.party_votes + sum(c.votes for c in p.candidates)
                     for p in v.parties)
        counts = [x for p in v.parties for x in (p.party_votes, p.total,
                                                 *(c.votes for c in p.candidates))]
    else:
        entries = v.tickets if s.contest == "ppwp" else v.candidates
        section = sum(e.votes for e in entries)
        broken = False
        counts = [e.votes for e in entries]
    if section != t.A or broken:
        out.append("CH-VALID-SUM")
    if t.C != t.A + t.B:
        out.append("CH-TOTAL-SUM")
    if b.used != t.C:
        out.append("CH-TOTAL-EQ-USED")
    if s.disabled.J > vo.B4.J:
        out.append("CH-DISABLED-LE-B4")
    cap = vo.A.J + vo.B2.J + vo.B3.J
    if cap < t.C or any(c > cap for c in counts):
        out.append("CH-VOTES-LE-CAP")
    return out
