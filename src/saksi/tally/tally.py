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

All figures are exact ints. A version brings its sheet's *counts* (one flat
list, ``saksi.tally.counts``) rather than the sheet; each ``apply`` packs it
into one int (a 64-bit lane per count) and adds that to one prepared tuple of
aggregates (the TPS's chain plus its dapil), one integer addition each, and
keeps the counts (compactly) to take them out again when a later version
supersedes it.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Final

import msgspec

from saksi.election.model import Contest
from saksi.errors import NotFoundError, StateError
from saksi.keys.ids import Role
from saksi.tally.counts import (
    COUNTED,
    DPT,
    FIGURES,
    INVALID,
    TOTAL,
    VALID,
    VOTERS,
    Layout,
)
from saksi.tally.shape import NATIONAL, Shape, chain_of
from saksi.tally.versions import FIRST, Accept, SheetVersion, VersionKey, judge, rank_of

SNAPSHOT_SCHEMA: Final = "saksi/tally-snapshot/v2"
DPR_THRESHOLD: Final = (4, 100)  # 4 % of the national valid DPR vote

# Status of a history entry.
CURRENT: Final = "current"
SUPERSEDED: Final = "superseded"
STALE: Final = "stale"


class Aggregate:
    """The figures of one (contest, region) or one dapil. Mutable: only the
    tally changes it; readers get it from :meth:`Tally.aggregate`.

    The counted figures, choices, party-only and candidate votes are laid out
    as a sheet's counts (``saksi.tally.counts``), cut to this aggregate's width,
    and held *packed*: one int with a 64-bit lane per count, so applying a sheet
    is one integer addition per aggregate (``_add``). ``counts`` unpacks them
    once per change; the named attributes read it."""

    __slots__ = (
        "_packed", "_unpacked", "_width", "flagged_votes", "layout", "sheets_expected",
        "sheets_flagged", "sheets_in", "tps_in", "tps_total", "version",
    )

    def __init__(self, expected: int) -> None:
        self.sheets_expected = expected  # TPS holding the contest × 1 sheet each
        self.tps_total = expected
        self.sheets_in = 0  # current versions
        self.tps_in = 0  # TPS with at least one sheet of the contest
        self.sheets_flagged = 0
        self.flagged_votes = 0  # V.C of the current flagged sheets
        # Sized by the first TPS applied (Tally._size): None until then.
        self.layout: Layout | None = None
        self._width = FIGURES
        self._packed = 0
        self._unpacked: list[int] | None = None
        # Bumped by every change, so renderers can reuse what they built from
        # an unchanged aggregate (not part of the state or of equality).
        self.version = 0

    @property
    def counts(self) -> list[int]:
        """The sums as a counts list (read-only: the tally changes them by ``_add``)."""
        out = self._unpacked
        if out is None:
            out = self._unpacked = unpack(self._packed, self._width)
        return out

    @counts.setter
    def counts(self, values: list[int]) -> None:
        self._width = len(values)
        self._packed = pack(values)
        self._unpacked = None

    @property
    def sheets_counted(self) -> int:
        return self.counts[COUNTED]

    @property
    def dpt(self) -> int:  # I.A.J of counted sheets
        return self.counts[DPT]

    @property
    def voters(self) -> int:  # I.B4.J
        return self.counts[VOTERS]

    @property
    def valid(self) -> int:  # V.A
        return self.counts[VALID]

    @property
    def invalid(self) -> int:  # V.B
        return self.counts[INVALID]

    @property
    def total(self) -> int:  # V.C
        return self.counts[TOTAL]

    @property
    def choices(self) -> dict[int, int]:
        """Non-zero votes per ticket / DPD candidate / party total."""
        if self.layout is None or len(self.counts) == FIGURES:
            return {}
        return self.layout.choice_votes(self.counts)

    @property
    def party_only(self) -> dict[int, int]:
        if self.layout is None or len(self.counts) == FIGURES:
            return {}
        return self.layout.party_only_votes(self.counts)

    @property
    def candidates(self) -> dict[tuple[int, int], int]:
        """Non-zero votes per (party, candidate): party contests, dapil aggregates."""
        return {} if self.layout is None else self.layout.candidate_votes(self.counts)

    def candidate_votes(self, party: int, number: int) -> int:
        """Party contests, dapil aggregates only (0 elsewhere)."""
        lay = self.layout
        if lay is None or not lay.party or not (1 <= party <= lay.choices
                                                and 1 <= number <= lay.candidates):
            return 0
        i = lay.region_width + (party - 1) * lay.candidates + number - 1
        return self.counts[i] if i < len(self.counts) else 0

    def state(self) -> AggregateState:
        candidates = [(p, n, v) for (p, n), v in sorted(self.candidates.items())]
        return AggregateState(
            self.sheets_expected, self.tps_total, self.sheets_in, self.tps_in,
            self.sheets_counted, self.sheets_flagged, self.flagged_votes, self.dpt,
            self.voters, self.valid, self.invalid, self.total,
            sorted(self.choices.items()), sorted(self.party_only.items()), candidates)

    def saved(self) -> SavedAggregate:
        lay = self.layout
        return SavedAggregate(
            self.sheets_expected, self.tps_total, self.sheets_in, self.tps_in,
            self.sheets_flagged, self.flagged_votes,
            None if lay is None else (lay.choices, lay.candidates, lay.party), self.counts)

    @classmethod
    def from_saved(cls, s: SavedAggregate) -> Aggregate:
        a = cls(s.sheets_expected)
        a.tps_total, a.sheets_in, a.tps_in = s.tps_total, s.sheets_in, s.tps_in
        a.sheets_flagged, a.flagged_votes = s.sheets_flagged, s.flagged_votes
        a.layout = None if s.layout is None else Layout(*s.layout)
        a.counts = list(s.counts)
        return a

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Aggregate) and self.state() == other.state()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Aggregate({self.state()!r})"


class AggregateState(msgspec.Struct, frozen=True, array_like=True):
    """An aggregate as plain data (equality, tests); zero choices dropped."""

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


class SavedAggregate(msgspec.Struct, frozen=True, array_like=True):
    """An aggregate in a snapshot: its counts as they are, with their layout."""

    sheets_expected: int
    tps_total: int
    sheets_in: int
    tps_in: int
    sheets_flagged: int
    flagged_votes: int
    layout: tuple[int, int, bool] | None
    counts: list[int]


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


class Applied(msgspec.Struct, frozen=True, gc=False):
    """What one ``apply`` did. (A struct: one is made per version applied.)"""

    index: int
    tps: str
    contest: Contest
    status: str  # "current" (it is now the counted-or-flagged version) or "stale"
    why: str
    previous: int | None  # log index of the version it superseded
    counted: bool  # the new version is counted (current and not flagged)
    dapil: str | None
    threshold_changed: bool = False  # the set of DPR parties over 4 % changed


class _Chain:
    """The aggregates a sheet of one (desa, contest, dapil) adds to, nearest region
    first and its dapil last, with its ballot's layout; shared by every TPS of
    the desa. ``lanes`` groups the aggregates by width: a region aggregate takes
    only the first lanes of a sheet's packed counts, its dapil all of them, and
    one mask serves every aggregate of a width."""

    __slots__ = ("aggs", "dapil", "lanes", "layout")

    def __init__(self, aggs: tuple[Aggregate, ...], layout: Layout, dapil: str | None) -> None:
        self.aggs = aggs
        self.layout = layout
        self.dapil = dapil
        widths: dict[int, list[Aggregate]] = {}
        for a in aggs:
            widths.setdefault(a._width, []).append(a)
        self.lanes = tuple((_lanes(w), tuple(group)) for w, group in widths.items())


class _Slot:
    __slots__ = ("chain", "counts", "current", "history")

    def __init__(self, chain: _Chain) -> None:
        self.chain = chain
        self.history: list[HistoryEntry] = []
        self.current: HistoryEntry | None = None
        # The current version's counts; array('i') halves the memory of a
        # list (every count is at most 10^9).
        self.counts: array[int] | None = None


# An aggregate's sums, packed: count i in bits [64i, 64i + 64) of one int. A sum of
# counts of at most 10^9 (CH rules) over at most a few million sheets stays far below
# 2^64, and a version is only ever subtracted after it was added: no lane carries into
# or borrows from the next, so adding the packed ints adds every count at once
# (7 aggregates x 230 counts: 13 us each as a list map, under 1 us as one int addition).
_LANE_BYTES = 8
_MASKS: dict[int, int] = {}


def pack(counts: Iterable[int]) -> int:
    """``counts`` (each in [0, 2^64)) as one int, a 64-bit lane each, count 0 lowest."""
    return int.from_bytes(array("Q", counts).tobytes(), "little")


def unpack(packed: int, width: int) -> list[int]:
    """The first ``width`` lanes of ``packed`` (``pack``'s inverse)."""
    return array("Q", packed.to_bytes(width * _LANE_BYTES, "little")).tolist()


def _lanes(width: int) -> int:
    mask = _MASKS.get(width)
    if mask is None:
        mask = _MASKS[width] = (1 << (64 * width)) - 1
    return mask


def _add(chain: _Chain, counts: Iterable[int], subtract: bool = False) -> None:
    """``counts`` into (or out of) every aggregate of ``chain``."""
    packed = pack(counts)
    for mask, aggs in chain.lanes:
        part = packed & mask
        for a in aggs:
            a._packed = a._packed - part if subtract else a._packed + part
            a._unpacked = None


class Tally:
    """The recapitulation of one election, fed in log order."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.as_of_index = -1  # highest log index applied
        self._regions: dict[tuple[Contest, str], Aggregate] = {}
        self._dapils: dict[str, Aggregate] = {}
        self._slots: dict[tuple[str, Contest], _Slot] = {}
        self._eligible: frozenset[int] = frozenset()
        self._layouts: dict[tuple[Contest, str | None], Layout] = {}
        self._chains: dict[tuple[str, Contest, str | None], _Chain] = {}

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

    def logged(self, tps: str, contest: Contest, leaf_hash: str) -> HistoryEntry | None:
        """The version of (``tps``, ``contest``) with this leaf hash, if the
        tally holds one: every version the log holds of it, counted,
        superseded or stale, is in its history (a resend is found here)."""
        slot = self._slots.get((tps, contest))
        if slot is not None:
            for entry in slot.history:
                if entry.leaf_hash == leaf_hash:
                    return entry
        return None

    def current(self, tps: str, contest: Contest) -> HistoryEntry | None:
        """The version that counts (or is flagged) now, if any."""
        slot = self._slots.get((tps, contest))
        return None if slot is None else slot.current

    def current_counts(self, tps: str, contest: Contest) -> tuple[HistoryEntry, Layout,
                                                                  array[int]] | None:
        """The current version with its counts and their layout."""
        slot = self._slots.get((tps, contest))
        if slot is None or slot.current is None or slot.counts is None:
            return None
        return slot.current, slot.chain.layout, slot.counts

    def layout(self, contest: Contest, dapil: str | None) -> Layout:
        """The counts layout of sheets of ``contest`` in ``dapil`` (None: ppwp)."""
        lay = self._layouts.get((contest, dapil))
        if lay is None:
            shape = self.shape
            lay = self._layouts[contest, dapil] = Layout.of(
                contest, tickets=(t.number for t in shape.tickets),
                candidates=(c.number for c in shape.candidates.get(dapil or "", ())),
                parties=(p.number for p in shape.parties))
        return lay

    @property
    def slot_count(self) -> int:
        """(TPS, contest) pairs holding at least one version: what a snapshot grows with."""
        return len(self._slots)

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
        dapil_code = t.dapil.get(contest)
        # Every TPS of a desa shares its aggregates (and, per contest, its dapil).
        shared = (tps[:10], contest, dapil_code)
        found = self._chains.get(shared)
        if found is None:
            found = self._chains[shared] = self._chain(tps, contest, dapil_code)
        slot = _Slot(found)
        self._slots[tps, contest] = slot
        return slot

    def _chain(self, tps: str, contest: Contest, dapil_code: str | None) -> _Chain:
        """The aggregates a sheet of ``contest`` at ``tps`` adds to, nearest region
        first and its dapil last, sized for its ballot's layout."""
        layout = self.layout(contest, dapil_code)
        regions = tuple(self.aggregate(contest, code) for code in chain_of(tps))
        for a in regions:
            # DPD candidate numbers are per province: no national choices.
            national_dpd = contest is Contest.DPD and a is regions[-1]
            _size(a, layout, FIGURES if national_dpd else layout.region_width)
        dapil = self.dapil_aggregate(dapil_code) if dapil_code else None
        if dapil is not None:
            _size(dapil, layout, layout.width)
        return _Chain(regions + ((dapil,) if dapil else ()), layout, dapil_code)

    def apply(self, version: SheetVersion) -> Applied:
        """Take the next accepted version (log order: indices strictly increase)."""
        return self.apply_many((version,))[0]

    def apply_many(self, versions: Iterable[SheetVersion]) -> list[Applied]:
        """Take the next accepted versions, in log order. The set of DPR parties
        over the threshold is computed once, after the last: a batch is
        published whole, so nobody sees the sets in between, and each was a
        walk over the national DPR figures (3 % of a national restart)."""
        out: list[Applied] = []
        dpr_counted_changed = False
        for v in versions:
            applied, counted_changed = self._apply(v)
            out.append(applied)
            if counted_changed and v.contest is Contest.DPR:
                dpr_counted_changed = True
        if dpr_counted_changed and self._update_eligible():
            out[-1] = msgspec.structs.replace(out[-1], threshold_changed=True)
        return out

    def _apply(self, version: SheetVersion) -> tuple[Applied, bool]:
        """One version in; whether the counted figures changed."""
        index = version.index
        if index <= self.as_of_index:
            raise StateError(
                f"versi di indeks {index} tidak urut (sudah sampai {self.as_of_index})",
                f"version at index {index} is out of log order "
                f"(already at {self.as_of_index})")
        tps, contest = version.tps, version.contest
        slot = self._slots.get((tps, contest)) or self._slot(tps, contest)
        chain = slot.chain
        counts = version.counts
        if len(counts) != chain.layout.width:
            raise StateError(
                f"hitungan lembar {tps}/{contest} tidak sesuai tata letak surat suara",
                f"the counts of sheet {tps}/{contest} do not fit its ballot's layout")
        rank, revision, flagged = rank_of(version.role), version.revision, version.flagged
        old = slot.current
        stale = False
        if old is None:
            why = FIRST  # (judge's answer without a current version, without asking it)
        else:
            verdict = judge(VersionKey(old.rank, old.revision), VersionKey(rank, revision))
            if isinstance(verdict, Accept):
                why = verdict.why
            else:
                stale, why = True, verdict.code
        entry = HistoryEntry(
            index=index, leaf_hash=version.leaf_hash, revision=revision, rank=rank,
            signer=version.signer, role=version.role, reason=version.reason,
            flagged=flagged, flags=version.flags, time=version.time,
            status=STALE if stale else CURRENT, why=why)
        self.as_of_index = index
        slot.history.append(entry)
        if stale:
            return Applied(index, tps, contest, STALE, why, None if old is None else old.index,
                           False, chain.dapil), False
        aggs = chain.aggs
        if old is None:  # nearly every version of a night: one pass over the aggregates
            for a in aggs:
                a.version += 1
                a.sheets_in += 1
                a.tps_in += 1
            counted_changed = not flagged
        else:
            for a in aggs:
                a.version += 1
            old.status, old.superseded_by = SUPERSEDED, index
            old_counts = slot.counts
            assert old_counts is not None
            if old.flagged:
                for a in aggs:
                    a.sheets_flagged -= 1
                    a.flagged_votes -= old_counts[TOTAL]
                counted_changed = not flagged
            else:
                _add(chain, old_counts, subtract=True)
                counted_changed = True
        if flagged:
            for a in aggs:
                a.sheets_flagged += 1
                a.flagged_votes += counts[TOTAL]
        else:
            _add(chain, counts)
        slot.current, slot.counts = entry, array("i", counts)
        return Applied(index, tps, contest, CURRENT, why, None if old is None else old.index,
                       not flagged, chain.dapil), counted_changed

    def _update_eligible(self) -> bool:
        eligible = dpr_eligible(self.aggregate(Contest.DPR, NATIONAL).choices)
        changed = eligible != self._eligible
        self._eligible = eligible
        return changed

    # --- snapshots -------------------------------------------------------
    def snapshot(self) -> bytes:
        """The whole state as msgpack; :meth:`restore` with the same shape reads it."""
        slots = [SlotState(tps, contest, slot.history,
                           b"" if slot.counts is None else slot.counts.tobytes())
                 for (tps, contest), slot in self._slots.items()]
        return msgspec.msgpack.encode(Snapshot(
            SNAPSHOT_SCHEMA, self.shape.fingerprint, self.as_of_index,
            [(c, code, a.saved()) for (c, code), a in self._regions.items()],
            [(code, a.saved()) for code, a in self._dapils.items()], slots))

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
        tally._regions = {(c, code): Aggregate.from_saved(s) for c, code, s in snap.regions}
        tally._dapils = {code: Aggregate.from_saved(s) for code, s in snap.dapils}
        for s in snap.slots:
            slot = tally._slot(s.tps, s.contest)
            slot.history = list(s.history)
            slot.current = next((h for h in slot.history if h.status == CURRENT), None)
            if s.counts:
                slot.counts = array("i")
                slot.counts.frombytes(s.counts)
        if Contest.DPR in {c for c, _ in tally._regions}:
            tally._update_eligible()
        return tally


def _size(a: Aggregate, layout: Layout, width: int) -> None:
    """Give a new aggregate its layout; refuse a TPS whose ballot does not fit it."""
    if a.layout is None:
        a.layout = layout
        a._width = max(width, a._width)  # zero lanes added: the packed sums are unchanged
        a._unpacked = None
    elif a._width != width or (width > FIGURES and a.layout.choices != layout.choices):
        # (Only the six figures — the national DPD aggregate — fit every
        # province's list.)
        raise StateError("surat suara TPS tidak cocok dengan agregat wilayahnya",
                         "a TPS's ballot does not fit its region's aggregate")


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
    counts: bytes  # the current version's counts, array('i') in machine byte order


class Snapshot(msgspec.Struct, array_like=True):
    schema: str
    shape: str
    as_of_index: int
    regions: list[tuple[Contest, str, SavedAggregate]]
    dapils: list[tuple[str, SavedAggregate]]
    slots: list[SlotState]


__all__ = ["Aggregate", "AggregateState", "Applied", "HistoryEntry", "SavedAggregate", "Tally",
           "dpr_eligible"]
