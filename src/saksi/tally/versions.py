"""Version precedence of the sheets of one (TPS, contest).

Every accepted sheet document is a *version* with the key ``(rank, revision)``:
rank 1 if the PPK (kecamatan authority) signed it — a correction, which must
carry a reason — and rank 0 if the TPS's own device did. A new version
supersedes the current one iff its key is strictly greater; anything else is
``REVISION-STALE`` and the pipeline refuses it, so the log never holds two
versions whose order is ambiguous. Once the PPK has corrected a sheet, no
KPPS revision can override it, whatever its revision number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple

import msgspec

from saksi.election.model import Contest
from saksi.errors import InputError
from saksi.keys.ids import Role
from saksi.sheets.model import Sheet

RANK_DEVICE: Final = 0
RANK_PPK: Final = 1
STALE_CODE: Final = "REVISION-STALE"
FIRST: Final = "first"  # why the first version of a (TPS, contest) is current


class VersionKey(NamedTuple):
    """Tuple order is precedence order: rank first, then revision."""

    rank: int
    revision: int

    def __str__(self) -> str:
        who = "PPK" if self.rank == RANK_PPK else "KPPS"
        return f"({who}, revisi/revision {self.revision})"


def rank_of(role: Role) -> int:
    """The rank of a sheet's submitter; only devices and the PPK submit sheets."""
    if role is Role.KECAMATAN:
        return RANK_PPK
    if role is Role.DEVICE:
        return RANK_DEVICE
    raise InputError("role", str(role), f"peran {role} tidak boleh mengirim lembar C.Hasil",
                     f"role {role} may not submit a C.Hasil sheet")


@dataclass(frozen=True, slots=True)
class Accept:
    """The new version becomes current (``previous`` is what it supersedes)."""

    previous: VersionKey | None
    new: VersionKey

    @property
    def why(self) -> str:
        if self.previous is None:
            return FIRST
        if self.new.rank > self.previous.rank:
            return "ppk-correction"
        return "higher-revision"


@dataclass(frozen=True, slots=True)
class Stale:
    """The new version does not outrank the current one and must be refused."""

    current: VersionKey
    new: VersionKey
    code: str = STALE_CODE

    @property
    def message_id(self) -> str:
        extra = (" Lembar sudah dikoreksi PPK; revisi KPPS tidak dapat menggantinya."
                 if self.current.rank > self.new.rank else "")
        return (f"versi {self.new} tidak lebih tinggi dari versi yang berlaku "
                f"{self.current}.{extra}")

    @property
    def message_en(self) -> str:
        extra = (" The PPK has corrected this sheet; a KPPS revision cannot override it."
                 if self.current.rank > self.new.rank else "")
        return (f"version {self.new} does not outrank the current version "
                f"{self.current}.{extra}")


def judge(current: VersionKey | None, new: VersionKey) -> Accept | Stale:
    """Whether ``new`` supersedes ``current`` (None: no version yet)."""
    if current is None or new > current:
        return Accept(current, new)
    return Stale(current, new)


def flag_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The rules a version breaks, each named once, in the order the rules ran: one rule
    can fail several times (CH-VALID-SUM once per broken party), and the results carry
    each failure's fields, but a version's ``flags`` name rules (docs/api.md)."""
    return tuple(dict.fromkeys(codes))


class SheetVersion(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One accepted sheet document as the tally sees it, in log order.

    The sheet itself is not kept: only what its history shows and its
    ``counts`` (``saksi.tally.counts``), which is all the totals need."""

    index: int  # log index
    leaf_hash: str  # hex RFC 6962 leaf hash of the log entry
    signer: str  # key id of the submitting signature
    role: Role
    flagged: bool  # the sheet rules flagged it: kept, but not counted
    flags: tuple[str, ...]  # flag rule codes
    tps: str
    contest: Contest
    revision: int
    reason: str | None
    counts: list[int]  # the sheet's counts in its ballot's layout
    time: str = ""  # server time of acceptance (RFC 3339), informative only

    @classmethod
    def of(cls, sheet: Sheet, counts: list[int], *, index: int, leaf_hash: str, signer: str,
           role: Role, flagged: bool, flags: tuple[str, ...], time: str = "") -> SheetVersion:
        return cls(index, leaf_hash, signer, role, flagged, flags, sheet.tps, sheet.contest,
                   sheet.revision, sheet.reason, counts, time)

    @property
    def rank(self) -> int:
        return rank_of(self.role)

    @property
    def key(self) -> VersionKey:
        return VersionKey(rank_of(self.role), self.revision)


__all__ = [
    "FIRST", "RANK_DEVICE", "RANK_PPK", "STALE_CODE", "Accept", "SheetVersion", "Stale",
    "VersionKey", "flag_codes", "judge", "rank_of",
]
