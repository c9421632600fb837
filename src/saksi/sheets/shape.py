"""The shape of a sheet that depends on its contest (part of rule CH-SHAPE).

The wire structs already refuse wrong types, negative or huge numbers and
unknown fields; what is left is which list of section IV a contest uses.
"""

from __future__ import annotations

from saksi.election.model import Contest
from saksi.errors import InputError
from saksi.sheets.model import Sheet


class SheetShapeError(InputError):
    """A document that is not a C.Hasil sheet (rule CH-SHAPE)."""

    code = "CH-SHAPE"


_LIST_OF = {
    Contest.PPWP: "tickets",
    Contest.DPD: "candidates",
    Contest.DPR: "parties",
    Contest.DPRD_PROV: "parties",
    Contest.DPRD_KABKOTA: "parties",
}


def list_of(contest: Contest) -> str:
    """The section IV list a contest's sheets use: tickets, candidates or parties."""
    return _LIST_OF[contest]


def shape_problem(sheet: Sheet) -> SheetShapeError | None:
    """The first contest-dependent shape error of ``sheet``, or None."""
    wanted = _LIST_OF[sheet.contest]
    for name in ("tickets", "candidates", "parties"):
        entries = getattr(sheet.votes, name)
        if name != wanted and entries:
            return SheetShapeError(
                f"votes.{name}", len(entries),
                f"lembar {sheet.contest} tidak memakai votes.{name}; "
                f"suara dicatat di votes.{wanted}",
                f"a {sheet.contest} sheet has no votes.{name}; votes go in votes.{wanted}",
            )
    return None
