"""What each simulated TPS will send, prepared in worker processes.

Generating a realistic sheet costs about 2 ms (party contests draw hundreds
of candidates' votes), so a night of tens of thousands of sheets is prepared
in a process pool while the event loop only sends. Every decision (which
sheet carries a 2024 error, which TPS resends, drops its connection, revises
late, which flagged sheet the PPK corrects) comes from generators seeded by
``(seed, label, TPS)``: the same seed gives the same night.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import msgspec

from saksi.election import Election
from saksi.election.model import Contest
from saksi.sheets.generate import generate_sheet, rng_for
from saksi.sheets.inject import PATTERNS, inject
from saksi.sheets.model import Sheet
from saksi.sim.signer import SimSigner

CORRECTION_REASON = "dikoreksi PPK setelah rekapitulasi / corrected by the PPK at recapitulation"


@dataclass(frozen=True)
class Rates:
    """Shares of the night's behaviours, each in [0, 1]."""

    error: float = 0.02  # sheets carrying one of the 2024 error patterns
    duplicate: float = 0.05  # TPS that send their batch twice
    drop: float = 0.03  # TPS whose first request is aborted mid-flight
    late: float = 0.02  # TPS that send a revision 2 of one sheet later
    correction: float = 0.7  # flagged sheets the PPK corrects
    forged: float = 0.002  # TPS whose ppwp sheet is also sent signed by another TPS's key

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not 0.0 <= value <= 1.0:
                from saksi.errors import InputError

                raise InputError(f"--{name}-rate", value, "harus di antara 0 dan 1",
                                 "must be between 0 and 1")


@dataclass(frozen=True)
class Doc:
    """One signed document and what the simulator knows of its content."""

    raw: bytes
    leaf: str  # hex SHA-256 of 0x00 || raw: what the receipt must name
    tps: str
    contest: str
    revision: int
    role: str  # "device" or "kecamatan"
    pattern: str | None  # the injected 2024 error pattern, if any
    total: int  # V.C
    valid: int  # V.A
    choices: tuple[tuple[int, int], ...]  # (ticket / candidate / party number, votes)


@dataclass(frozen=True)
class TpsWork:
    code: str
    batch: tuple[Doc, ...]  # every contest's revision 1, sent as one request
    duplicate: bool
    drop: bool
    late: Doc | None  # a device revision 2, sent after the first wave
    forged: Doc | None  # this TPS's ppwp sheet signed by another TPS's device


def leaf_hash(raw: bytes) -> str:
    return hashlib.sha256(b"\x00" + raw).hexdigest()


def figures(sheet: Sheet) -> tuple[tuple[int, int], ...]:
    """The per-choice votes a results document sums for this sheet's contest."""
    v = sheet.votes
    if v.tickets:
        return tuple((e.number, e.votes) for e in v.tickets)
    if v.candidates:
        return tuple((e.number, e.votes) for e in v.candidates)
    return tuple((p.number, p.total) for p in v.parties)


def make_doc(raw: bytes, sheet: Sheet, role: str, pattern: str | None = None) -> Doc:
    return Doc(raw, leaf_hash(raw), sheet.tps, str(sheet.contest), sheet.revision, role,
               pattern, sheet.totals.C, sheet.totals.A, figures(sheet))


class Preparer:
    """Generates and signs a TPS's documents (one per worker process)."""

    def __init__(self, directory: Path, seed: int, rates: Rates) -> None:
        self.election = Election.open(directory)
        self.signer = SimSigner(directory)
        self.seed = seed
        self.rates = rates

    def close(self) -> None:
        self.election.close()

    def _sheet(self, code: str, contest: Contest, label: str = "", revision: int = 1
               ) -> Sheet:
        tps = self.election.tps(code)
        seed = f"{self.seed}{label}" if label else self.seed
        return generate_sheet(self.election.ballot(code, contest), tps, seed,
                              revision=revision)

    def tps(self, code: str, other: str) -> TpsWork:
        rng: random.Random = rng_for(self.seed, b"saksi-sim", code)
        docs: list[Doc] = []
        contests = self.election.contests_at(code)
        for contest in contests:
            sheet = self._sheet(code, contest)
            pattern = None
            if rng.random() < self.rates.error:
                pattern = rng.choice(PATTERNS)
                sheet = inject(sheet, pattern, rng)
            docs.append(make_doc(self.signer.device(sheet), sheet, "device", pattern))
        duplicate = rng.random() < self.rates.duplicate
        drop = rng.random() < self.rates.drop
        late = None
        if rng.random() < self.rates.late:
            contest = rng.choice(contests)
            sheet = self._sheet(code, contest, "/late", revision=2)
            late = make_doc(self.signer.device(sheet), sheet, "device")
        forged = None
        if other != code and rng.random() < self.rates.forged:
            sheet = self._sheet(code, Contest.PPWP, "/forged")
            forged = make_doc(self.signer.device(sheet, as_tps=other), sheet, "device")
        return TpsWork(code, tuple(docs), duplicate, drop, late, forged)

    def correction(self, code: str, contest: str, revision: int) -> Doc:
        """The PPK's corrected sheet: the true count, with a reason."""
        sheet = self._sheet(code, Contest(contest), "", revision)
        sheet = msgspec.structs.replace(sheet, reason=CORRECTION_REASON)
        return make_doc(self.signer.ppk(sheet), sheet, "kecamatan")


def corrects(seed: int, rates: Rates, code: str, contest: str) -> bool:
    """Whether the PPK corrects this TPS's flagged ``contest`` sheet tonight."""
    return rng_for(seed, b"saksi-sim-fix", code, contest).random() < rates.correction


# --- process-pool entry points (one Preparer per worker process) -------------
_PREPARER: list[Preparer] = []  # at most one: this process's


def init_worker(directory: str, seed: int, rates: Rates) -> None:
    _PREPARER[:] = [Preparer(Path(directory), seed, rates)]


def _preparer() -> Preparer:
    if not _PREPARER:
        raise RuntimeError("init_worker was not called in this process")
    return _PREPARER[0]


def prepare_tps(code: str, other: str) -> TpsWork:
    return _preparer().tps(code, other)


def prepare_correction(code: str, contest: str, revision: int) -> Doc:
    return _preparer().correction(code, contest, revision)
