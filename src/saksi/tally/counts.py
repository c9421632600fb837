"""A sheet's contribution to the totals as one flat list of ints.

The tally adds every accepted sheet to six aggregates (desa, kecamatan,
kab/kota, province, national and its dapil). Adding a decoded sheet entry by
entry into dicts costs a Python loop per entry per aggregate; adding one flat
list of ints to another is one C-level ``map(add, …)`` per aggregate. So a
sheet is reduced once — by the HTTP worker that already decoded it, in
parallel — to its *counts*, laid out by ballot number:

====================  =====================================================
offset                 value
====================  =====================================================
0                      1 (the sheet itself: ``sheets_counted``)
1 … 5                  I.A.J (DPT), I.B4.J (voters), V.A, V.B, V.C
6 + (n − 1)            votes of choice ``n`` (ticket, DPD candidate, or a
                       party's total), n = 1 … P
6 + P + (n − 1)        party contests: votes for party ``n`` alone
6 + 2P + (n − 1)·K     party contests: votes of candidate ``c`` of party
  + (c − 1)            ``n``, c = 1 … K
====================  =====================================================

``P`` and ``K`` (the :class:`Layout`) follow from the election: ``P`` is the
highest ticket number (``ppwp``), the highest candidate number of the
province's DPD list (``dpd``) or the highest party number (party contests);
``K`` is the highest candidate number on the dapil's lists. A region
aggregate takes the first :attr:`Layout.region_width` values (no candidates:
a region spanning several dapil has no single list), a dapil aggregate all of
them, and the national ``dpd`` aggregate only the six figures (DPD numbers
are per province). Every count of an accepted sheet is a ballot number the
rules (CH-BALLOT) found on the TPS's ballot, so it always has a place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from saksi.election.model import Ballot, Contest
from saksi.errors import StateError
from saksi.sheets.model import Sheet

FIGURES: Final = 6  # counted, dpt, voters, valid, invalid, total
COUNTED, DPT, VOTERS, VALID, INVALID, TOTAL = range(FIGURES)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each ballot number's votes sit in a counts list."""

    choices: int  # P: choice numbers 1 … P
    candidates: int = 0  # K: candidate numbers 1 … K per party (party contests only)
    party: bool = False  # party contest: party-only votes and candidates follow

    @classmethod
    def of(cls, contest: Contest, *, tickets: Iterable[int], candidates: Iterable[int],
           parties: Iterable[int]) -> Layout:
        """The layout rule, one for the worker (from a ballot) and the tally
        (from the shape): ``candidates`` are the numbers on the dapil's lists
        (DPD: the province's list), ``parties`` every party of the election."""
        if contest is Contest.PPWP:
            return cls(max(tickets, default=0))
        if contest is Contest.DPD:
            return cls(max(candidates, default=0))
        return cls(max(parties, default=0), max(candidates, default=0), True)

    @property
    def region_width(self) -> int:
        return FIGURES + self.choices * (2 if self.party else 1)

    @property
    def width(self) -> int:
        return self.region_width + self.choices * self.candidates

    def choice_votes(self, counts: list[int]) -> dict[int, int]:
        """Non-zero votes per choice number (``counts`` at least region-wide)."""
        return _nonzero(counts, FIGURES, self.choices)

    def party_only_votes(self, counts: list[int]) -> dict[int, int]:
        if not self.party:
            return {}
        return _nonzero(counts, FIGURES + self.choices, self.choices)

    def candidate_votes(self, counts: list[int]) -> dict[tuple[int, int], int]:
        """Non-zero votes per (party, candidate) (``counts`` full width)."""
        out: dict[tuple[int, int], int] = {}
        k = self.candidates
        base = self.region_width
        for i in range(base, min(len(counts), self.width)):
            v = counts[i]
            if v:
                party, number = divmod(i - base, k)
                out[party + 1, number + 1] = v
        return out


def _nonzero(counts: list[int], start: int, n: int) -> dict[int, int]:
    return {i + 1: v for i, v in enumerate(counts[start:start + n]) if v}


def ballot_layout(ballot: Ballot, party_numbers: Iterable[int]) -> Layout:
    """The layout of sheets of ``ballot``; ``party_numbers``: every party of
    the election (party contests share one party numbering nationwide)."""
    return Layout.of(
        ballot.contest, tickets=(t.number for t in ballot.tickets),
        candidates=(x.number for x in (*ballot.candidates,
                                        *(c for p in ballot.parties for c in p.candidates))),
        parties=party_numbers)


def counts_of(sheet: Sheet, layout: Layout) -> list[int]:
    """The sheet's counts (see the module docstring for the layout)."""
    out = [0] * layout.width
    v, t = sheet.voters, sheet.totals
    out[:FIGURES] = (1, v.A.J, v.B4.J, t.A, t.B, t.C)
    p_max = layout.choices
    try:
        if layout.party:
            k, only, cand = layout.candidates, FIGURES + p_max, FIGURES + 2 * p_max
            for p in sheet.votes.parties:
                n = p.number - 1
                if n >= p_max:
                    raise IndexError
                out[FIGURES + n] = p.total
                out[only + n] = p.party_votes
                base = cand + n * k
                for e in p.candidates:
                    if e.number > k:
                        raise IndexError
                    out[base + e.number - 1] = e.votes
        else:
            for e in sheet.votes.tickets or sheet.votes.candidates:
                if e.number > p_max:
                    raise IndexError
                out[FIGURES + e.number - 1] = e.votes
    except IndexError:
        raise StateError(
            f"lembar {sheet.tps}/{sheet.contest} memuat nomor di luar surat suara",
            f"sheet {sheet.tps}/{sheet.contest} holds a number outside the ballot") from None
    return out


__all__ = ["COUNTED", "DPT", "FIGURES", "INVALID", "TOTAL", "VALID", "VOTERS", "Layout",
           "ballot_layout", "counts_of"]
