"""The 2024 failure patterns, injected into a sheet to prove the rules catch them.

Each pattern changes what a reader (OCR in 2024, a tired hand tomorrow)
would have made of the paper. What the rules can and cannot catch:

- ``digit-inserted``, ``digit-misread``, ``digit-dropped``: one count of
  section IV changes; every single change to a count breaks an identity
  (CH-VALID-SUM, often CH-VOTES-LE-CAP too), so these are always flagged.
- ``total-mismatch``: V.A, V.C or a party total no longer adds up: flagged.
- ``swap``: in party contests the *totals* of two parties are exchanged
  while their party and candidate rows stay, which breaks each party's
  identity (CH-VALID-SUM). In ``ppwp`` and ``dpd`` a swap of two counts keeps
  every sum valid: arithmetic cannot see it, only a comparison with the
  witnesses' cosigned copies or the photo can. ``DETECTABLE`` says so.
"""

from __future__ import annotations

import random
from typing import Final

from saksi.election.model import Contest
from saksi.errors import InputError
from saksi.sheets.model import Sheet, vote_fields, with_counts

__all__ = ["DETECTABLE", "PATTERNS", "detectable", "inject"]

PATTERNS: Final = ("digit-inserted", "digit-misread", "digit-dropped", "swap", "total-mismatch")

# Digits a handwriting reader confuses (both directions listed).
_LOOKALIKE: Final = {
    "0": "689", "1": "47", "2": "7", "3": "89", "4": "19",
    "5": "639", "6": "058", "7": "12", "8": "0369", "9": "4805",
}


def detectable(pattern: str, contest: Contest) -> bool:
    """Whether the sheet rules alone can catch ``pattern`` on a ``contest`` sheet."""
    return not (pattern == "swap" and not contest.is_party_contest)


DETECTABLE: Final = {(p, c): detectable(p, c) for p in PATTERNS for c in Contest}


def _candidates(sheet: Sheet, min_digits: int = 1) -> list[tuple[str, int]]:
    fields = [(p, v) for p, v in vote_fields(sheet) if len(str(v)) >= min_digits]
    nonzero = [(p, v) for p, v in fields if v > 0]
    return nonzero or fields


def _pick(sheet: Sheet, rng: random.Random, min_digits: int = 1) -> tuple[str, int]:
    fields = _candidates(sheet, min_digits) or _candidates(sheet)
    if not fields:
        raise InputError("votes", None, "lembar tanpa rincian suara",
                         "the sheet has no counts in section IV")
    return rng.choice(fields)


def _insert(value: int, rng: random.Random) -> int:
    s = str(value)
    while True:
        i = rng.randint(0, len(s))
        d = rng.choice("123456789" if i == 0 else "0123456789")
        new = int(s[:i] + d + s[i:])
        if new != value:
            return new


def _misread(value: int, rng: random.Random) -> int:
    s = str(value)
    while True:
        i = rng.randrange(len(s))
        t = s[:i] + rng.choice(_LOOKALIKE[s[i]]) + s[i + 1:]
        if rng.random() < 0.3:  # a stray stroke read as a leading digit (58 → 948)
            t = rng.choice("123456789") + t
        if int(t) != value:
            return int(t)


def _drop(value: int, rng: random.Random) -> int:
    s = str(value)
    if len(s) == 1:
        return 0 if value else 1  # nothing left to read: blank taken as 0
    for _ in range(100):
        i = rng.randrange(len(s))
        new = int(s[:i] + s[i + 1:])
        if new != value:
            return new
    return value // 10  # pragma: no cover - a multi-digit value always has a changing drop


def _swap(sheet: Sheet, rng: random.Random) -> Sheet:
    if sheet.contest.is_party_contest:
        rows = [(f"votes.parties[{i}].total", p.total)
                for i, p in enumerate(sheet.votes.parties)]
    else:
        rows = [(p, v) for p, v in vote_fields(sheet)]
    pairs = [(a, b) for i, a in enumerate(rows) for b in rows[i + 1:] if a[1] != b[1]]
    if not pairs:
        raise InputError("votes", None, "tidak ada dua angka berbeda untuk ditukar",
                         "no two different counts to swap")
    (pa, va), (pb, vb) = rng.choice(pairs)
    return with_counts(sheet, {pa: vb, pb: va})


def _total_mismatch(sheet: Sheet, rng: random.Random) -> Sheet:
    options = ["totals.A", "totals.C"] + [
        f"votes.parties[{i}].total" for i in range(len(sheet.votes.parties))
    ]
    path = rng.choice(options)
    current = dict(vote_fields(sheet)).get(path)
    if current is None:
        current = sheet.totals.A if path == "totals.A" else sheet.totals.C
    delta = rng.choice([-1, 1]) * rng.randint(1, 10)
    new = current + delta if current + delta >= 0 else current + abs(delta)
    return with_counts(sheet, {path: new})


def inject(sheet: Sheet, pattern: str, rng: random.Random) -> Sheet:
    """A copy of ``sheet`` with one 2024-style error of ``pattern`` (see ``PATTERNS``)."""
    if pattern == "digit-inserted":
        path, value = _pick(sheet, rng)
        return with_counts(sheet, {path: _insert(value, rng)})
    if pattern == "digit-misread":
        path, value = _pick(sheet, rng)
        return with_counts(sheet, {path: _misread(value, rng)})
    if pattern == "digit-dropped":
        path, value = _pick(sheet, rng, min_digits=2)
        return with_counts(sheet, {path: _drop(value, rng)})
    if pattern == "swap":
        return _swap(sheet, rng)
    if pattern == "total-mismatch":
        return _total_mismatch(sheet, rng)
    raise InputError("pattern", pattern, f"pola kesalahan tidak dikenal; pilih: "
                     f"{', '.join(PATTERNS)}",
                     f"unknown error pattern; choose one of: {', '.join(PATTERNS)}")
