"""The rules of form C.Hasil, with their stable codes (``/docs/sheet-format.md``).

``check_sheet`` is pure: a sheet, the ballot of its contest at its TPS and
the TPS itself in, a ``CheckResult`` out. Rules never change a sheet: a
flagged sheet is kept exactly as signed and the flags say what is wrong.
"""

from __future__ import annotations

import operator
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from itertools import accumulate, chain
from typing import NamedTuple, Protocol

import msgspec

from saksi.election.model import MAX_DPT_PER_TPS, Ballot, Candidate, Contest, Ticket, Tps
from saksi.errors import InputError
from saksi.sheets.canonical import decode
from saksi.sheets.model import LPJ, Sheet, Votes, vote_fields
from saksi.sheets.shape import SheetShapeError, shape_problem

__all__ = [
    "RULES",
    "BallotLookup",
    "CheckResult",
    "RuleResult",
    "Severity",
    "Verdict",
    "check_arithmetic",
    "check_ballot",
    "check_sheet",
    "dpt_cap",
    "packed_numbers",
    "parse_and_check",
    "reserve",
]


class Severity(StrEnum):
    REJECT = "reject"  # not a sheet at all: refused
    FLAG = "flag"  # the paper may say so: kept as signed, flagged for the recap


class Verdict(StrEnum):
    CLEAN = "clean"
    FLAGGED = "flagged"
    REJECTED = "rejected"


# Every rule code and its severity; CH-A-EQ-DPT is this project's addition.
RULES: Mapping[str, Severity] = {
    "CH-SHAPE": Severity.REJECT,
    "CH-BALLOT": Severity.REJECT,
    "CH-LP-SUM": Severity.FLAG,
    "CH-B4-SUM": Severity.FLAG,
    "CH-B1-LE-A": Severity.FLAG,
    "CH-DPT-MAX": Severity.FLAG,
    "CH-A-EQ-DPT": Severity.FLAG,
    "CH-BALLOTS-SUM": Severity.FLAG,
    "CH-BALLOTS-RESERVE": Severity.FLAG,
    "CH-USED-EQ-VOTERS": Severity.FLAG,
    "CH-VALID-SUM": Severity.FLAG,
    "CH-TOTAL-SUM": Severity.FLAG,
    "CH-TOTAL-EQ-USED": Severity.FLAG,
    "CH-DISABLED-LE-B4": Severity.FLAG,
    "CH-VOTES-LE-CAP": Severity.FLAG,
}


class RuleResult(msgspec.Struct, frozen=True):
    """One broken rule: which fields, their values, and why (in both languages)."""

    code: str
    severity: Severity
    fields: tuple[str, ...]
    values: dict[str, int | str | None]
    message_id: str
    message_en: str


class CheckResult(msgspec.Struct, frozen=True):
    verdict: Verdict
    results: tuple[RuleResult, ...] = ()

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.results)

    @staticmethod
    def of(results: Iterable[RuleResult]) -> CheckResult:
        found = tuple(results)
        if any(r.severity is Severity.REJECT for r in found):
            verdict = Verdict.REJECTED
        elif found:
            verdict = Verdict.FLAGGED
        else:
            verdict = Verdict.CLEAN
        return CheckResult(verdict, found)


def _result(
    code: str, values: Mapping[str, int | str | None], message_id: str, message_en: str
) -> RuleResult:
    return RuleResult(code, RULES[code], tuple(values), dict(values), message_id, message_en)


def reserve(dpt: int) -> int:
    """The 2% reserve of ballots: ceil(2% of the DPT), in integers."""
    return (2 * dpt + 99) // 100


# ------------------------------------------------------------- arithmetic


def _lpj(path: str, row: LPJ) -> dict[str, int | str | None]:
    return {f"{path}.L": row.L, f"{path}.P": row.P, f"{path}.J": row.J}


def dpt_cap(tps: Tps) -> int | None:
    """The most voters a polling unit may register: 300, except an overseas POS
    (postal voting), whose register has no such cap."""
    return None if tps.name.upper().startswith("POS") else MAX_DPT_PER_TPS


def check_arithmetic(sheet: Sheet, *, dpt_limit: int | None = MAX_DPT_PER_TPS
                     ) -> list[RuleResult]:
    """Every flag rule that needs nothing but the sheet itself (and the DPT cap
    of its kind of polling unit: ``None`` for none)."""
    if _arithmetic_holds(sheet, dpt_limit):
        return []
    return _explain_arithmetic(sheet, dpt_limit)


def _explain_arithmetic(sheet: Sheet, dpt_limit: int | None) -> list[RuleResult]:
    out: list[RuleResult] = []
    v = sheet.voters
    rows = [(f"voters.{n}", getattr(v, n)) for n in ("A", "B1", "B2", "B3", "B4")]
    rows.append(("disabled", sheet.disabled))
    for path, row in rows:
        if row.J != row.L + row.P:
            out.append(_result(
                "CH-LP-SUM", _lpj(path, row),
                f"baris {path}: jumlah J ({row.J}) ≠ laki-laki + perempuan "
                f"({row.L} + {row.P} = {row.L + row.P})",
                f"row {path}: total J ({row.J}) ≠ male + female "
                f"({row.L} + {row.P} = {row.L + row.P})",
            ))
    for part in ("L", "P", "J"):
        b1, b2, b3, b4 = (getattr(getattr(v, n), part) for n in ("B1", "B2", "B3", "B4"))
        if b4 != b1 + b2 + b3:
            out.append(_result(
                "CH-B4-SUM",
                {f"voters.B4.{part}": b4, f"voters.B1.{part}": b1,
                 f"voters.B2.{part}": b2, f"voters.B3.{part}": b3},
                f"jumlah pemilih B4.{part} = {b4}, padahal B1 + B2 + B3 = {b1 + b2 + b3}",
                f"voters B4.{part} = {b4}, but B1 + B2 + B3 = {b1 + b2 + b3}",
            ))
        a = getattr(v.A, part)
        if b1 > a:
            out.append(_result(
                "CH-B1-LE-A", {f"voters.B1.{part}": b1, f"voters.A.{part}": a},
                f"pemilih DPT yang memilih (B1.{part} = {b1}) melebihi DPT (A.{part} = {a})",
                f"DPT voters who voted (B1.{part} = {b1}) exceed the DPT (A.{part} = {a})",
            ))
    if dpt_limit is not None and dpt_limit < v.A.J:
        out.append(_result(
            "CH-DPT-MAX", {"voters.A.J": v.A.J},
            f"DPT {v.A.J} melebihi batas {dpt_limit} pemilih per TPS",
            f"DPT {v.A.J} exceeds the limit of {dpt_limit} voters per TPS",
        ))
    b = sheet.ballots
    if b.received != b.used + b.damaged + b.unused:
        out.append(_result(
            "CH-BALLOTS-SUM",
            {"ballots.1": b.received, "ballots.2": b.used, "ballots.3": b.damaged,
             "ballots.4": b.unused},
            f"surat suara diterima ({b.received}) ≠ digunakan + rusak + sisa "
            f"({b.used} + {b.damaged} + {b.unused})",
            f"ballots received ({b.received}) ≠ used + damaged + unused "
            f"({b.used} + {b.damaged} + {b.unused})",
        ))
    limit = v.A.J + reserve(v.A.J)
    if b.received > limit:
        out.append(_result(
            "CH-BALLOTS-RESERVE", {"ballots.1": b.received, "voters.A.J": v.A.J},
            f"surat suara diterima ({b.received}) melebihi DPT + cadangan 2% ({limit})",
            f"ballots received ({b.received}) exceed DPT + 2% reserve ({limit})",
        ))
    if b.used != v.B4.J:
        out.append(_result(
            "CH-USED-EQ-VOTERS", {"ballots.2": b.used, "voters.B4.J": v.B4.J},
            f"surat suara digunakan ({b.used}) ≠ jumlah pemilih yang memilih ({v.B4.J})",
            f"ballots used ({b.used}) ≠ voters who voted ({v.B4.J})",
        ))
    out.extend(_check_votes(sheet))
    t = sheet.totals
    if t.C != t.A + t.B:
        out.append(_result(
            "CH-TOTAL-SUM", {"totals.C": t.C, "totals.A": t.A, "totals.B": t.B},
            f"jumlah suara sah dan tidak sah (V.C = {t.C}) ≠ {t.A} + {t.B}",
            f"all votes (V.C = {t.C}) ≠ valid + invalid ({t.A} + {t.B})",
        ))
    if b.used != t.C:
        out.append(_result(
            "CH-TOTAL-EQ-USED", {"totals.C": t.C, "ballots.2": b.used},
            f"jumlah seluruh suara ({t.C}) ≠ surat suara digunakan ({b.used})",
            f"all votes ({t.C}) ≠ ballots used ({b.used})",
        ))
    if sheet.disabled.J > v.B4.J:
        out.append(_result(
            "CH-DISABLED-LE-B4", {"disabled.J": sheet.disabled.J, "voters.B4.J": v.B4.J},
            f"pemilih disabilitas ({sheet.disabled.J}) melebihi seluruh pemilih ({v.B4.J})",
            f"voters with disabilities ({sheet.disabled.J}) exceed all voters ({v.B4.J})",
        ))
    cap = v.A.J + v.B2.J + v.B3.J
    if max(t.C, _most_votes(sheet.votes)) <= cap:
        return out  # the usual case, without spelling out every field path
    for path, count in [*vote_fields(sheet), ("totals.C", t.C)]:
        if count > cap:
            out.append(_result(
                "CH-VOTES-LE-CAP",
                {path: count, "voters.A.J": v.A.J, "voters.B2.J": v.B2.J,
                 "voters.B3.J": v.B3.J},
                f"{path} = {count} melebihi jumlah orang yang dapat memilih di TPS ini ({cap})",
                f"{path} = {count} exceeds the people who could vote at this TPS ({cap})",
            ))
    return out


def _arithmetic_holds(sheet: Sheet, dpt_limit: int | None) -> bool:
    """True only if ``check_arithmetic`` finds nothing: the same conditions,
    tested without building a single message. Most sheets are clean, so this
    is the path they take; anything else gets the full, explained check."""
    if not _counts_hold(sheet, dpt_limit):
        return False
    votes, t, v = sheet.votes, sheet.totals, sheet.voters
    if sheet.contest.is_party_contest:
        section = 0
        for p in votes.parties:
            if p.total != p.party_votes + sum([c.votes for c in p.candidates]):
                return False
            section += p.total
    else:
        entries = votes.tickets if sheet.contest is Contest.PPWP else votes.candidates
        section = sum([e.votes for e in entries])
    if section != t.A:
        return False
    return max(t.C, _most_votes(votes)) <= v.A.J + v.B2.J + v.B3.J


def _counts_hold(sheet: Sheet, dpt_limit: int | None) -> bool:
    """The conditions of ``_arithmetic_holds`` outside section IV."""
    v, d, b, t = sheet.voters, sheet.disabled, sheet.ballots, sheet.totals
    a, b1, b2, b3, b4 = v.A, v.B1, v.B2, v.B3, v.B4
    for row in (a, b1, b2, b3, b4, d):
        if row.J != row.L + row.P:
            return False
    if (b4.L != b1.L + b2.L + b3.L or b4.P != b1.P + b2.P + b3.P
            or b4.J != b1.J + b2.J + b3.J):
        return False
    if b1.L > a.L or b1.P > a.P or b1.J > a.J:
        return False
    if dpt_limit is not None and dpt_limit < a.J:
        return False
    if b.received != b.used + b.damaged + b.unused or b.received > a.J + reserve(a.J):
        return False
    return not (b.used != b4.J or t.C != t.A + t.B or b.used != t.C or d.J > b4.J)


def _most_votes(votes: Votes) -> int:
    """The largest count of section IV (0 if none)."""
    most = 0
    if votes.tickets:
        most = max(map(_votes, votes.tickets))
    if votes.candidates:
        most = max(most, *map(_votes, votes.candidates))
    for p in votes.parties:
        most = max(most, p.party_votes, p.total, *map(_votes, p.candidates))
    return most


def _check_votes(sheet: Sheet) -> list[RuleResult]:
    """CH-VALID-SUM: V.A = section IV; in party contests also each party's identity."""
    out: list[RuleResult] = []
    votes = sheet.votes
    valid = sheet.totals.A
    if sheet.contest.is_party_contest:
        for i, p in enumerate(votes.parties):
            own = p.party_votes + sum(c.votes for c in p.candidates)
            if p.total != own:
                path = f"votes.parties[{i}]"
                out.append(_result(
                    "CH-VALID-SUM",
                    {f"{path}.total": p.total, f"{path}.party_votes": p.party_votes,
                     **{f"{path}.candidates[{j}].votes": c.votes
                        for j, c in enumerate(p.candidates)}},
                    f"jumlah suara partai {p.number} ({p.total}) ≠ suara partai + suara calon "
                    f"({own})",
                    f"party {p.number} total ({p.total}) ≠ party-only + candidate votes ({own})",
                ))
        parts = {f"votes.parties[{i}].total": p.total for i, p in enumerate(votes.parties)}
    else:
        name = "tickets" if sheet.contest is Contest.PPWP else "candidates"
        entries = getattr(votes, name)
        parts = {f"votes.{name}[{i}].votes": e.votes for i, e in enumerate(entries)}
    section = sum(parts.values())
    if section != valid:
        out.append(_result(
            "CH-VALID-SUM", {"totals.A": valid, **parts},
            f"jumlah suara sah (V.A = {valid}) ≠ jumlah rincian suara bagian IV ({section})",
            f"valid votes (V.A = {valid}) ≠ sum of section IV ({section})",
        ))
    return out


# ----------------------------------------------------------------- ballot


_number = operator.attrgetter("number")
_votes = operator.attrgetter("votes")


def _same_numbers(entries: Iterable[object], on_ballot: Iterable[object]) -> bool:
    """The same numbers in the same order, none twice."""
    numbers = list(map(_number, entries))
    return numbers == list(map(_number, on_ballot)) and len(set(numbers)) == len(numbers)


def _ballot_matches(sheet: Sheet, ballot: Ballot) -> bool:
    """True only if CH-BALLOT finds nothing on a sheet of the ballot's contest:
    every list holds exactly the ballot's numbers, once each."""
    v = sheet.votes
    if sheet.contest is Contest.PPWP:
        return _same_numbers(v.tickets, ballot.tickets)
    if sheet.contest is Contest.DPD:
        return _same_numbers(v.candidates, ballot.candidates)
    if not _same_numbers(v.parties, (pl.party for pl in ballot.parties)):
        return False
    return all(_same_numbers(p.candidates, pl.candidates)
               for p, pl in zip(v.parties, ballot.parties, strict=True))


def _names(candidates: tuple[Candidate, ...]) -> Callable[[], dict[int, str]]:
    return lambda: {c.number: c.name for c in candidates}


def check_ballot(sheet: Sheet, ballot: Ballot, tps: Tps) -> list[RuleResult]:
    """CH-BALLOT: the sheet counts exactly the entries of this TPS's ballot, once each.

    Every entry of the ballot must be written (zero if it got no votes): a
    missing row cannot be told apart from a row that was never entered.
    """
    out: list[RuleResult] = []

    def reject(path: str, value: int | str | None, mid: str, men: str) -> None:
        out.append(_result("CH-BALLOT", {path: value}, mid, men))

    if sheet.tps != tps.code or ballot.tps != tps.code:
        reject("tps", sheet.tps, f"lembar untuk TPS {sheet.tps}, surat suara untuk TPS "
               f"{ballot.tps}", f"sheet is for TPS {sheet.tps}, ballot for TPS {ballot.tps}")
        return out
    if sheet.contest != ballot.contest:
        reject("contest", str(sheet.contest),
               f"lembar {sheet.contest} diperiksa terhadap surat suara {ballot.contest}",
               f"a {sheet.contest} sheet checked against the {ballot.contest} ballot")
        return out
    if _ballot_matches(sheet, ballot):
        return out
    where_id = f"surat suara {ballot.contest} TPS {tps.code}"
    where_en = f"the {ballot.contest} ballot of TPS {tps.code}"
    if ballot.dapil is not None:
        where_id += f" (dapil {ballot.dapil.name})"
        where_en += f" (district {ballot.dapil.name})"

    def entries(path: str, numbers: list[int], expected: list[int],
                labels: Callable[[], Mapping[int, str]], what: tuple[str, str]) -> None:
        # ``expected``: the ballot's numbers in its order. A sheet listing
        # exactly those, once each (the usual case), breaks nothing here.
        if numbers == expected and len(set(expected)) == len(expected):
            return
        allowed = labels()
        what_id, what_en = what
        seen = Counter(numbers)
        for i, n in enumerate(numbers):
            if numbers.index(n) != i:
                continue  # report each number once, at its first position
            k = seen[n]
            if n not in allowed:
                reject(f"{path}[{i}].number", n, f"{what_id} nomor {n} tidak ada di {where_id}",
                       f"{what_en} number {n} is not on {where_en}")
            elif k > 1:
                reject(f"{path}[{i}].number", n,
                       f"{what_id} nomor {n} ({allowed[n]}) tercatat {k} kali",
                       f"{what_en} number {n} ({allowed[n]}) appears {k} times")
        for n, label in allowed.items():
            if n not in numbers:
                reject(path, n,
                       f"{what_id} nomor {n} ({label}) tidak tercatat; tulis 0 bila tanpa suara",
                       f"{what_en} number {n} ({label}) is missing; write 0 if it got no votes")

    v = sheet.votes
    if sheet.contest is Contest.PPWP:
        entries("votes.tickets", [t.number for t in v.tickets],
                [t.number for t in ballot.tickets],
                lambda: {t.number: f"{t.president} – {t.vice_president}"
                         for t in ballot.tickets},
                ("paslon", "ticket"))
    elif sheet.contest is Contest.DPD:
        entries("votes.candidates", [c.number for c in v.candidates],
                [c.number for c in ballot.candidates],
                _names(ballot.candidates),
                ("calon DPD", "DPD candidate"))
    else:
        lists = {pl.party.number: pl for pl in ballot.parties}
        entries("votes.parties", [p.number for p in v.parties],
                [pl.party.number for pl in ballot.parties],
                lambda: {n: pl.party.abbreviation for n, pl in lists.items()},
                ("partai", "party"))
        for i, p in enumerate(v.parties):
            if p.number in lists:
                pl = lists[p.number]
                entries(f"votes.parties[{i}].candidates", [c.number for c in p.candidates],
                        [c.number for c in pl.candidates],
                        _names(pl.candidates),
                        (f"calon partai {p.number} ({pl.party.abbreviation})",
                         f"candidate of party {p.number} ({pl.party.abbreviation})"))
    return out


def check_dpt(sheet: Sheet, tps: Tps) -> list[RuleResult]:
    """CH-A-EQ-DPT (an addition): section I.A matches the TPS's registered DPT."""
    a = sheet.voters.A
    registered = {"L": tps.dpt_l, "P": tps.dpt_p, "J": tps.dpt}
    wrong = {p: getattr(a, p) for p in ("L", "P", "J") if getattr(a, p) != registered[p]}
    if not wrong:
        return []
    return [_result(
        "CH-A-EQ-DPT", {f"voters.A.{p}": n for p, n in wrong.items()},
        "DPT di lembar (" + ", ".join(f"{p} = {n}" for p, n in wrong.items())
        + f") berbeda dari DPT terdaftar TPS {tps.code} (L = {tps.dpt_l}, P = {tps.dpt_p}, "
        f"J = {tps.dpt})",
        "DPT on the sheet (" + ", ".join(f"{p} = {n}" for p, n in wrong.items())
        + f") differs from the registered DPT of TPS {tps.code} (L = {tps.dpt_l}, "
        f"P = {tps.dpt_p}, J = {tps.dpt})",
    )]


def _shape_result(err: SheetShapeError) -> RuleResult:
    value = err.value if isinstance(err.value, int | str) or err.value is None else repr(
        err.value)[:200]
    return _result("CH-SHAPE", {err.field: value}, err.message_id, err.message_en)


def check_sheet(sheet: Sheet, ballot: Ballot, tps: Tps) -> CheckResult:
    """All rules for a sheet of ``tps``. Pure; never changes the sheet."""
    problem = shape_problem(sheet)
    if problem is not None:
        return CheckResult.of([_shape_result(problem)])
    return _check_shaped(sheet, ballot, tps)


_CLEAN = CheckResult(Verdict.CLEAN)


def _check_shaped(sheet: Sheet, ballot: Ballot, tps: Tps) -> CheckResult:
    """``check_sheet`` of a sheet whose shape is known to hold."""
    if _is_clean(sheet, ballot, tps):
        return _CLEAN
    return CheckResult.of(
        [*check_ballot(sheet, ballot, tps), *check_dpt(sheet, tps),
         *check_arithmetic(sheet, dpt_limit=dpt_cap(tps))]
    )


# ------------------------------------------------------------ the quick path
#
# Almost every sheet is clean, and a party contest's sheet has some hundred
# entries: the rules above look at each several times. ``_is_clean`` proves a
# well-shaped sheet clean with a few flat passes over its lists, against the
# ballot's numbers laid out once per ballot list; whatever it cannot prove
# clean gets the full, explained checks, so the results are always theirs.


# Reading an enum member off its class (``Contest.PPWP``, ``is_party_contest``)
# costs a few hundred nanoseconds in Python 3.11; these are plain lookups.
_PARTY_CONTESTS = frozenset(c for c in Contest if c.is_party_contest)
_PPWP = Contest.PPWP


class _BallotNumbers(NamedTuple):
    """A ballot's numbers in the layout of a sheet's section IV."""

    entries: list[int]  # tickets or DPD candidates, in ballot order
    parties: list[int]  # party numbers, in ballot order
    lengths: list[int]  # how many candidates each party has
    candidates: list[int]  # every party's candidate numbers, party after party
    runs: list[slice]  # where each party's candidates lie in ``candidates``
    unique: bool  # no number twice in any one list
    packed: bytes  # native uint32: ``entries``, or each party's number, length, candidates


def _layout(ballot: Ballot) -> _BallotNumbers:
    if ballot.contest not in _PARTY_CONTESTS:
        entries = [e.number for e in _entries_of(ballot)]
        return _BallotNumbers(entries, [], [], [], [], len(set(entries)) == len(entries),
                              array("I", entries).tobytes())
    parties = [pl.party.number for pl in ballot.parties]
    blocks = [[c.number for c in pl.candidates] for pl in ballot.parties]
    lengths = [len(b) for b in blocks]
    runs = [slice(end - n, end) for n, end in zip(lengths, accumulate(lengths), strict=True)]
    unique = all(len(set(numbers)) == len(numbers) for numbers in [parties, *blocks])
    packed = array("I", chain.from_iterable(
        (number, len(block), *block) for number, block in zip(parties, blocks, strict=True)))
    return _BallotNumbers([], parties, lengths, list(chain.from_iterable(blocks)), runs,
                          unique, packed.tobytes())


def _entries_of(ballot: Ballot) -> tuple[Ticket, ...] | tuple[Candidate, ...]:
    return ballot.tickets if ballot.contest is _PPWP else ballot.candidates


class _LayoutMemo:
    """Layouts by the identity of the ballot's list. An election's ballots share
    their lists per dapil (and the tickets everywhere), so one layout serves
    every TPS of a dapil; a ballot built elsewhere just gets a layout of its own.
    Each entry holds its list, so no other object can have its id while cached."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._memo: dict[int, tuple[object, _BallotNumbers]] = {}

    def __call__(self, ballot: Ballot) -> _BallotNumbers:
        lists = ballot.parties if ballot.contest in _PARTY_CONTESTS else _entries_of(ballot)
        hit = self._memo.get(id(lists))
        if hit is not None:
            return hit[1]
        numbers = _layout(ballot)
        if len(self._memo) >= self._size:
            self._memo.clear()
        self._memo[id(lists)] = (lists, numbers)
        return numbers


_numbers_of = _LayoutMemo(4096)


def _is_clean(sheet: Sheet, ballot: Ballot, tps: Tps) -> bool:
    """True only if no rule finds anything on a sheet whose shape holds: CH-BALLOT,
    CH-A-EQ-DPT and ``_arithmetic_holds``, each condition tested as they test it.

    List comprehensions, not ``map(attrgetter)``: Python specialises their
    attribute reads on the structs' slots, several times faster per entry."""
    a = sheet.voters.A
    # A sheet built in Python with a plain string for its contest takes the
    # explained path, whatever that makes of it, as it always did.
    if (type(sheet.contest) is not Contest or sheet.contest != ballot.contest
            or sheet.tps != tps.code or ballot.tps != tps.code
            or (tps.dpt_l, tps.dpt_p, tps.dpt) != (a.L, a.P, a.J)):
        return False
    if not _counts_hold(sheet, dpt_cap(tps)):
        return False
    numbers = _numbers_of(ballot)
    if not numbers.unique:
        return False
    votes = sheet.votes
    counts: list[int]
    if sheet.contest in _PARTY_CONTESTS:
        parties = votes.parties
        if ([p.number for p in parties] != numbers.parties
                or [len(p.candidates) for p in parties] != numbers.lengths
                or [c.number for p in parties for c in p.candidates] != numbers.candidates):
            return False
        # The lengths agree, so each run of the flat list is one party's candidates.
        counts = [c.votes for p in parties for c in p.candidates]
        party_votes = [p.party_votes for p in parties]
        totals = [p.total for p in parties]
        own = [v + sum(counts[run]) for v, run in zip(party_votes, numbers.runs, strict=True)]
        if own != totals:
            return False
        section = sum(totals)
        most = max([0, *counts, *party_votes, *totals])
    else:
        entries = votes.tickets if sheet.contest is _PPWP else votes.candidates
        if [e.number for e in entries] != numbers.entries:
            return False
        counts = [e.votes for e in entries]
        section = sum(counts)
        most = max([0, *counts])
    v, t = sheet.voters, sheet.totals
    return section == t.A and max(t.C, most) <= v.A.J + v.B2.J + v.B3.J


def packed_numbers(ballot: Ballot) -> bytes | None:
    """The ballot's numbers as ``_is_clean`` compares them, for the service's C
    check of a clean sheet (``saksi.ingest._fast``): native uint32, the tickets'
    or DPD candidates' numbers, or for each party its number, the length of its
    list and its candidates' numbers. None if a list repeats a number (then no
    sheet of the ballot is clean)."""
    numbers = _numbers_of(ballot)
    return numbers.packed if numbers.unique else None


# --------------------------------------------------------- parse and check


class BallotLookup(Protocol):
    """What ``parse_and_check`` needs from an election (``saksi.election.Election`` fits)."""

    def tps(self, code: str) -> Tps: ...

    def contests_at(self, tps_code: str) -> Iterable[Contest]: ...

    def ballot(self, tps_code: str, contest: Contest) -> Ballot: ...


def parse_and_check(raw: bytes, lookup: BallotLookup) -> tuple[Sheet | None, CheckResult]:
    """Parse ``raw`` and check it against the election. Never raises on bad input.

    An unknown TPS or a contest not held there is a CH-BALLOT rejection: the
    document is well formed, but there is no ballot it could count. An
    election that cannot be read (``StateError``) is not bad input and
    propagates.
    """
    try:
        sheet = decode(raw)
    except SheetShapeError as err:
        return None, CheckResult.of([_shape_result(err)])
    try:
        tps = lookup.tps(sheet.tps)
    except (InputError, LookupError):
        return sheet, CheckResult.of([_result(
            "CH-BALLOT", {"tps": sheet.tps},
            f"TPS {sheet.tps} tidak terdaftar dalam pemilu ini",
            f"TPS {sheet.tps} is not in this election",
        )])
    if sheet.contest not in set(lookup.contests_at(tps.code)):
        return sheet, CheckResult.of([_result(
            "CH-BALLOT", {"contest": str(sheet.contest)},
            f"pemilihan {sheet.contest} tidak diselenggarakan di TPS {tps.code}",
            f"the {sheet.contest} contest is not held at TPS {tps.code}",
        )])
    try:
        ballot = lookup.ballot(tps.code, sheet.contest)
    except (InputError, LookupError):
        return sheet, CheckResult.of([_result(
            "CH-BALLOT", {"contest": str(sheet.contest)},
            f"surat suara {sheet.contest} untuk TPS {tps.code} tidak ditemukan",
            f"no {sheet.contest} ballot found for TPS {tps.code}",
        )])
    return sheet, _check_shaped(sheet, ballot, tps)  # ``decode`` has checked the shape
