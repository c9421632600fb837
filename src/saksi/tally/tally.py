"""The live recapitulation: versions in, aggregates at every level out.

Pure and in memory. :meth:`Tally.apply` takes accepted sheet versions in log
order, keeps every (TPS, contest)'s full history and current version, and
maintains the aggregates incrementally: the old current version's
contribution leaves (if it was counted), the new one's enters (unless it is
flagged). Flagged sheets are never counted; the aggregates say how many
current sheets are flagged and how many votes (their V.C) they leave out.

Aggregates exist per (contest, region) at every level — desa, kecamatan,
kab/kota, province, national ``"0"`` — and per dapil. Which choices each one
carries:

- ``ppwp``: tickets everywhere;
- ``dpd``: candidate numbers everywhere except the national aggregate (numbers
  are per province, so a national list would add up different people);
- party contests: party totals and party-only votes everywhere; candidate
  votes only in the dapil aggregate (a region spanning several dapil has no
  single candidate list).

All figures are exact ints. Each ``apply`` walks one prepared tuple of
aggregate objects (the TPS's chain plus its dapil) with dict increments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

import msgspec

from saksi.election.model import Contest
from saksi.errors import NotFoundError, StateError
from saksi.keys.ids import Role
from saksi.sheets.model import MAX_BALLOT_NUMBER, Sheet
from saksi.tally.shape import NATIONAL, Shape, chain_of
from saksi.tally.versions import Accept, SheetVersion, VersionKey, judge

SNAPSHOT_SCHEMA: Final = "saksi/tally-snapshot/v1"
CANDIDATE_KEY: Final = MAX_BALLOT_NUMBER + 1
DPR_THRESHOLD: Final = (4, 100)  # 4 % of the national valid DPR vote

# Status of a history entry.
CURRENT: Final = "current"
SUPERSEDED: Final = "superseded"
STALE: Final = "stale"


class Aggregate:
    """The figures of one (contest, region) or one dapil. Mutable: only the
    tally changes it; readers get it from :meth:`Tally.aggregate`."""

    __slots__ = (
        "candidates", "choices", "dpt", "flagged_votes", "invalid", "party_only",
        "sheets_counted", "sheets_expected", "sheets_flagged", "sheets_in", "total",
        "tps_in", "tps_total", "valid", "version", "voters",
    )

    def __init__(self, expected: int) -> None:
        self.sheets_expected = expected  # TPS holding the contest × 1 sheet each
        self.tps_total = expected
        self.sheets_in = 0  # current versions
        self.tps_in = 0  # TPS with at least one sheet of the contest
        self.sheets_counted = 0
        self.sheets_flagged = 0
        self.flagged_votes = 0  # V.C of the current flagged sheets
        self.dpt = 0  # I.A.J of counted sheets
        self.voters = 0  # I.B4.J
        self.valid = 0  # V.A
        self.invalid = 0  # V.B
        self.total = 0  # V.C
        self.choices: dict[int, int] = {}  # ticket / DPD candidate / party total
        self.party_only: dict[int, int] = {}
        # Party contests, dapil aggregates only: party × CANDIDATE_KEY + number
        # (an int key is cheaper than a tuple on the hot path); see candidate_votes.
        self.candidates: dict[int, int] = {}
        # Bumped by every change, so renderers can reuse what they built from
        # an unchanged aggregate (not part of the state or of equality).
        self.version = 0

    def candidate_votes(self, party: int, number: int) -> int:
        return self.candidates.get(party * CANDIDATE_KEY + number, 0)

    def state(self) -> AggregateState:
        return AggregateState(
            self.sheets_expected, self.tps_total, self.sheets_in, self.tps_in,
            self.sheets_counted, self.sheets_flagged, self.flagged_votes, self.dpt,
            self.voters, self.valid, self.invalid, self.total,
            _nonzero(self.choices), _nonzero(self.party_only),
            [(*divmod(k, CANDIDATE_KEY), v) for k, v in sorted(self.candidates.items()) if v])

    @classmethod
    def from_state(cls, s: AggregateState) -> Aggregate:
        a = cls(s.sheets_expected)
        a.tps_total, a.sheets_in, a.tps_in = s.tps_total, s.sheets_in, s.tps_in
        a.sheets_counted, a.sheets_flagged, a.flagged_votes = (
            s.sheets_counted, s.sheets_flagged, s.flagged_votes)
        a.dpt, a.voters, a.valid, a.invalid, a.total = s.dpt, s.voters, s.valid, s.invalid, s.total
        a.choices, a.party_only = dict(s.choices), dict(s.party_only)
        a.candidates = {p * CANDIDATE_KEY + n: v for p, n, v in s.candidates}
        return a

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Aggregate) and self.state() == other.state()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Aggregate({self.state()!r})"


def _nonzero(d: dict[int, int]) -> list[tuple[int, int]]:
    return [(k, v) for k, v in sorted(d.items()) if v]


class AggregateState(msgspec.Struct, frozen=True, array_like=True):
    """An aggregate as plain data (snapshots, equality); zero choices dropped."""

    sheets_expected: int
    tps_total: int
    sheets_in: int
    tps_in: int
    sheets_counted: int
    sheets_flagged: int
    flagged_votes: int
    dpt: int
    voters: int
    valid: int
    invalid: int
    total: int
    choices: list[tuple[int, int]]
    party_only: list[tuple[int, int]]
    candidates: list[tuple[int, int, int]]


class HistoryEntry(msgspec.Struct, kw_only=True, gc=False):
    """One version of a (TPS, contest), as the public history shows it.

    ``gc=False``: it holds only strings and ints, so millions of entries never
    make the cyclic garbage collector walk them."""

    index: int
    leaf_hash: str
    revision: int
    rank: int
    signer: str
    role: Role
    reason: str | None
    flagged: bool
    flags: tuple[str, ...]
    time: str
    status: str  # current / superseded / stale
    why: str  # first / higher-revision / ppk-correction / REVISION-STALE
    superseded_by: int | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """What one ``apply`` did."""

    index: int
    tps: str
    contest: Contest
    status: str  # "current" (it is now the counted-or-flagged version) or "stale"
    why: str
    previous: int | None  # log index of the version it superseded
    counted: bool  # the new version is counted (current and not flagged)
    dapil: str | None
    threshold_changed: bool = False  # the set of DPR parties over 4 % changed


class _Slot:
    __slots__ = ("aggs", "cand_agg", "choice_aggs", "current", "history", "sheet")

    def __init__(self, aggs: tuple[Aggregate, ...], choice_aggs: tuple[Aggregate, ...],
                 cand_agg: Aggregate | None) -> None:
        self.aggs = aggs
        self.choice_aggs = choice_aggs
        self.cand_agg = cand_agg
        self.history: list[HistoryEntry] = []
        self.current: HistoryEntry | None = None
        self.sheet: Sheet | None = None  # the current version's sheet only


def _contribute(slot: _Slot, sheet: Sheet, sign: int) -> None:
    # The hot path: no per-entry allocation beyond the ints themselves.
    dpt = sign * sheet.voters.A.J
    voters = sign * sheet.voters.B4.J
    t = sheet.totals
    valid, invalid, total = sign * t.A, sign * t.B, sign * t.C
    for a in slot.aggs:
        a.sheets_counted += sign
        a.dpt += dpt
        a.voters += voters
        a.valid += valid
        a.invalid += invalid
        a.total += total
    v = sheet.votes
    aggs = slot.choice_aggs
    if v.parties:
        cands = None if slot.cand_agg is None else slot.cand_agg.candidates
        for p in v.parties:
            n = p.number
            tot, only = sign * p.total, sign * p.party_votes
            for a in aggs:
                ch, po = a.choices, a.party_only
                ch[n] = ch.get(n, 0) + tot
                po[n] = po.get(n, 0) + only
            if cands is not None:
                base = n * CANDIDATE_KEY
                for c in p.candidates:
                    k = base + c.number
                    cands[k] = cands.get(k, 0) + sign * c.votes
        return
    for e in v.tickets or v.candidates:
        n, votes = e.number, sign * e.votes
        for a in aggs:
            ch = a.choices
            ch[n] = ch.get(n, 0) + votes


class Tally:
    """The recapitulation of one election, fed in log order."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.as_of_index = -1  # highest log index applied
        self._regions: dict[tuple[Contest, str], Aggregate] = {}
        self._dapils: dict[str, Aggregate] = {}
        self._slots: dict[tuple[str, Contest], _Slot] = {}
        self._eligible: frozenset[int] = frozenset()

    # --- reading ---------------------------------------------------------
    def aggregate(self, contest: Contest, region: str) -> Aggregate:
        """The live aggregate of ``contest`` in ``region`` (empty if nothing is held there)."""
        agg = self._regions.get((contest, region))
        if agg is None:
            self.shape.region(region)
            agg = Aggregate(self.shape.expected.get((contest, region), 0))
            if agg.sheets_expected:
                self._regions[contest, region] = agg
        return agg

    def dapil_aggregate(self, dapil: str) -> Aggregate:
        agg = self._dapils.get(dapil)
        if agg is None:
            self.shape.dapil(dapil)
            agg = Aggregate(self.shape.expected_dapil.get(dapil, 0))
            if agg.sheets_expected:
                self._dapils[dapil] = agg
        return agg

    def history(self, tps: str, contest: Contest) -> list[HistoryEntry]:
        slot = self._slots.get((tps, contest))
        return list(slot.history) if slot else []

    def current(self, tps: str, contest: Contest) -> tuple[HistoryEntry, Sheet] | None:
        slot = self._slots.get((tps, contest))
        if slot is None or slot.current is None or slot.sheet is None:
            return None
        return slot.current, slot.sheet

    def current_sheets(self) -> Iterator[tuple[HistoryEntry, Sheet]]:
        for slot in self._slots.values():
            if slot.current is not None and slot.sheet is not None:
                yield slot.current, slot.sheet

    def dpr_eligible(self) -> frozenset[int]:
        """DPR parties at or over 4 % of the national valid DPR vote so far."""
        return self._eligible

    # --- applying --------------------------------------------------------
    def _slot(self, tps: str, contest: Contest) -> _Slot:
        t = self.shape.tps.get(tps)
        if t is None:
            raise NotFoundError("tps", tps, "TPS tidak ada dalam pemilu ini",
                                "no such TPS in this election")
        if contest not in t.contests:
            raise NotFoundError("contest", str(contest),
                                f"pemilihan {contest} tidak ada di TPS {tps}",
                                f"contest {contest} is not held at TPS {tps}")
        regions = tuple(self.aggregate(contest, code) for code in chain_of(tps))
        dapil_code = t.dapil.get(contest)
        dapil = self.dapil_aggregate(dapil_code) if dapil_code else None
        extra = (dapil,) if dapil else ()
        aggs = regions + extra
        # DPD candidate numbers are per province: no national candidate list.
        choice_aggs = regions[:-1] + extra if contest is Contest.DPD else aggs
        cand_agg = dapil if contest.is_party_contest else None
        slot = _Slot(aggs, choice_aggs, cand_agg)
        self._slots[tps, contest] = slot
        return slot

    def apply(self, version: SheetVersion) -> Applied:
        """Take the next accepted version (log order: indices strictly increase)."""
        if version.index <= self.as_of_index:
            raise StateError(
                f"versi di indeks {version.index} tidak urut (sudah sampai {self.as_of_index})",
                f"version at index {version.index} is out of log order "
                f"(already at {self.as_of_index})")
        sheet = version.sheet
        tps, contest = sheet.tps, sheet.contest
        slot = self._slots.get((tps, contest)) or self._slot(tps, contest)
        key = version.key
        old = slot.current
        verdict = judge(None if old is None else VersionKey(old.rank, old.revision), key)
        entry = HistoryEntry(
            index=version.index, leaf_hash=version.leaf_hash, revision=key.revision,
            rank=key.rank, signer=version.signer, role=version.role, reason=sheet.reason,
            flagged=version.flagged, flags=version.flags, time=version.time,
            status=CURRENT, why="")
        self.as_of_index = version.index
        slot.history.append(entry)
        dapil = self.shape.tps[tps].dapil.get(contest)
        if not isinstance(verdict, Accept):
            entry.status, entry.why = STALE, verdict.code
            return Applied(version.index, tps, contest, STALE, verdict.code,
                           None if old is None else old.index, False, dapil)
        entry.why = verdict.why
        counted_changed = not version.flagged
        for a in slot.aggs:
            a.version += 1
        if old is None:
            for a in slot.aggs:
                a.sheets_in += 1
                a.tps_in += 1
        else:
            old.status, old.superseded_by = SUPERSEDED, version.index
            old_sheet = slot.sheet
            assert old_sheet is not None
            if old.flagged:
                for a in slot.aggs:
                    a.sheets_flagged -= 1
                    a.flagged_votes -= old_sheet.totals.C
            else:
                _contribute(slot, old_sheet, -1)
                counted_changed = True
        if version.flagged:
            for a in slot.aggs:
                a.sheets_flagged += 1
                a.flagged_votes += sheet.totals.C
        else:
            _contribute(slot, sheet, 1)
        slot.current, slot.sheet = entry, sheet
        changed = False
        if contest is Contest.DPR and counted_changed:
            changed = self._update_eligible()
        return Applied(version.index, tps, contest, CURRENT, entry.why,
                       None if old is None else old.index, not version.flagged, dapil, changed)

    def apply_many(self, versions: Iterable[SheetVersion]) -> list[Applied]:
        return [self.apply(v) for v in versions]

    def _update_eligible(self) -> bool:
        eligible = dpr_eligible(self.aggregate(Contest.DPR, NATIONAL).choices)
        changed = eligible != self._eligible
        self._eligible = eligible
        return changed

    # --- snapshots -------------------------------------------------------
    def snapshot(self) -> bytes:
        """The whole state as msgpack; :meth:`restore` with the same shape reads it."""
        slots = [SlotState(tps, contest, slot.history, slot.sheet)
                 for (tps, contest), slot in self._slots.items()]
        return msgspec.msgpack.encode(Snapshot(
            SNAPSHOT_SCHEMA, self.shape.fingerprint, self.as_of_index,
            [(c, code, a.state()) for (c, code), a in self._regions.items()],
            [(code, a.state()) for code, a in self._dapils.items()], slots))

    @classmethod
    def restore(cls, shape: Shape, data: bytes) -> Tally:
        try:
            snap = msgspec.msgpack.decode(data, type=Snapshot)
        except msgspec.DecodeError as exc:
            raise StateError(f"snapshot rusak: {exc}", f"damaged snapshot: {exc}") from None
        if snap.schema != SNAPSHOT_SCHEMA or snap.shape != shape.fingerprint:
            raise StateError("snapshot bukan untuk pemilu ini",
                             "the snapshot is not of this election")
        tally = cls(shape)
        tally.as_of_index = snap.as_of_index
        tally._regions = {(c, code): Aggregate.from_state(s) for c, code, s in snap.regions}
        tally._dapils = {code: Aggregate.from_state(s) for code, s in snap.dapils}
        for s in snap.slots:
            slot = tally._slot(s.tps, s.contest)
            slot.history = list(s.history)
            slot.current = next((h for h in slot.history if h.status == CURRENT), None)
            slot.sheet = s.sheet
        if Contest.DPR in {c for c, _ in tally._regions}:
            tally._update_eligible()
        return tally


def dpr_eligible(national_party_totals: dict[int, int]) -> frozenset[int]:
    """Parties with votes × 100 ≥ 4 × the sum of all parties' totals (exact)."""
    valid = sum(national_party_totals.values())
    num, den = DPR_THRESHOLD
    if valid <= 0:
        return frozenset()
    return frozenset(p for p, v in national_party_totals.items()
                     if v > 0 and v * den >= num * valid)


class SlotState(msgspec.Struct, array_like=True):
    tps: str
    contest: Contest
    history: list[HistoryEntry]
    sheet: Sheet | None


class Snapshot(msgspec.Struct, array_like=True):
    schema: str
    shape: str
    as_of_index: int
    regions: list[tuple[Contest, str, AggregateState]]
    dapils: list[tuple[str, AggregateState]]
    slots: list[SlotState]


__all__ = ["Aggregate", "AggregateState", "Applied", "HistoryEntry", "Tally", "dpr_eligible"]
