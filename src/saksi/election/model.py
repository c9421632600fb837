"""Value objects of the election model: regions, TPS, contests, parties,
dapil, candidates and the ballot of one contest at one TPS.

All are frozen and typed. They carry no I/O: builders and the on-disk index
(``saksi.election.store``) produce them; the sheet, key and tally packages
consume them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Contest(StrEnum):
    """The five contests of a general election (four in DKI Jakarta)."""

    PPWP = "ppwp"
    DPR = "dpr"
    DPD = "dpd"
    DPRD_PROV = "dprd-prov"
    DPRD_KABKOTA = "dprd-kabkota"

    @property
    def is_party_contest(self) -> bool:
        return self in (Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA)


class Level(StrEnum):
    """Levels of the region tree; the value is what URLs and JSON use."""

    NASIONAL = "nasional"
    PROVINSI = "provinsi"
    KABKOTA = "kabkota"
    KECAMATAN = "kecamatan"
    DESA = "desa"
    TPS = "tps"


# Digits of a KPU code at each level, from the province down to the TPS.
CODE_LENGTHS: dict[Level, int] = {
    Level.PROVINSI: 2,
    Level.KABKOTA: 4,
    Level.KECAMATAN: 6,
    Level.DESA: 10,
    Level.TPS: 13,
}
OVERSEAS_PROVINCE = "99"
DKI_JAKARTA = "31"
ACEH = "11"
MAX_DPT_PER_TPS = 300


def level_of_code(code: str) -> Level:
    """The level a KPU code belongs to, from its length (``"0"`` is national)."""
    if code == "0":
        return Level.NASIONAL
    if is_well_formed(code):
        for level, length in CODE_LENGTHS.items():
            if len(code) == length:
                return level
    raise ValueError(f"not a KPU region code: {code!r}")


_OVERSEAS_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_well_formed(code: str) -> bool:
    """Digits only, except that KPU numbers overseas cities past 9999 as
    ``99AA``, ``99AB``, … so codes under ``99`` may hold capital letters."""
    if code.isascii() and code.isdigit():
        return True
    return code.startswith(OVERSEAS_PROVINCE) and all(c in _OVERSEAS_CHARS for c in code)


def parent_code(code: str) -> str:
    """The code of the enclosing region (``"0"`` above a province)."""
    level = level_of_code(code)
    if level is Level.PROVINSI:
        return "0"
    lengths = list(CODE_LENGTHS.values())
    return code[: lengths[lengths.index(len(code)) - 1]]


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: Level
    parent: str  # "0" for provinces

    @property
    def overseas(self) -> bool:
        return self.code.startswith(OVERSEAS_PROVINCE)


@dataclass(frozen=True, slots=True)
class Tps:
    """A polling station and its register (DPT), split by sex."""

    code: str  # 13 digits: village code + 3-digit number
    name: str  # "TPS 001", overseas also "POS 001" / "KSK 001"
    dpt_l: int
    dpt_p: int

    @property
    def village(self) -> str:
        return self.code[:10]

    @property
    def number(self) -> int:
        return int(self.code[10:])

    @property
    def dpt(self) -> int:
        return self.dpt_l + self.dpt_p

    @property
    def province(self) -> str:
        return self.code[:2]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A presidential ticket (pasangan calon) with its ballot number."""

    number: int
    president: str
    vice_president: str


@dataclass(frozen=True, slots=True)
class Party:
    number: int
    abbreviation: str
    name: str
    local: bool  # Aceh local party: only in Aceh's DPRD contests


@dataclass(frozen=True, slots=True)
class Candidate:
    """A legislative candidate. ``party`` is None for DPD (individuals)."""

    dapil: str
    party: int | None
    number: int  # ballot number within the party list (DPD: within the dapil)
    name: str
    sex: str  # "L" or "P"


@dataclass(frozen=True, slots=True)
class Dapil:
    """An electoral district of one contest: a set of regions and a seat count."""

    code: str
    contest: Contest
    name: str
    seats: int
    regions: tuple[str, ...]  # region codes (provinces, kab/kota or kecamatan)


@dataclass(frozen=True, slots=True)
class PartyList:
    party: Party
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class Ballot:
    """What can be counted on one contest's sheet at one TPS.

    ``ppwp`` fills ``tickets``; ``dpd`` fills ``candidates``; party contests
    fill ``parties`` (each with its candidates in the TPS's dapil).
    """

    tps: str
    contest: Contest
    dapil: Dapil | None
    tickets: tuple[Ticket, ...] = ()
    parties: tuple[PartyList, ...] = ()
    candidates: tuple[Candidate, ...] = ()
