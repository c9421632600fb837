"""The incremental tally equals a from-scratch recomputation, at every level."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tally_support import TPS_CODES, Version, sheet_for, small_shape, version

from saksi.election.model import Contest
from saksi.errors import NotFoundError, StateError
from saksi.sheets.model import Sheet
from saksi.tally.shape import NATIONAL, Shape, chain_of
from saksi.tally.tally import AggregateState, Snapshot, Tally, dpr_eligible
from saksi.tally.versions import SheetVersion

SHAPE = small_shape()


@dataclass
class _Ref:
    """A deliberately naive aggregate, summed from scratch."""

    expected: int = 0
    sheets_in: int = 0
    counted: int = 0
    flagged: int = 0
    flagged_votes: int = 0
    figures: list[int] = field(default_factory=lambda: [0] * 5)
    choices: dict[int, int] = field(default_factory=dict)
    party_only: dict[int, int] = field(default_factory=dict)
    candidates: dict[tuple[int, int], int] = field(default_factory=dict)

    def state(self) -> AggregateState:
        def nz(d: dict[int, int]) -> list[tuple[int, int]]:
            return [(k, v) for k, v in sorted(d.items()) if v]
        dpt, voters, valid, invalid, total = self.figures
        return AggregateState(
            self.expected, self.expected, self.sheets_in, self.sheets_in, self.counted,
            self.flagged, self.flagged_votes, dpt, voters, valid, invalid, total,
            nz(self.choices),
            nz(self.party_only), [(p, n, v) for (p, n), v in sorted(self.candidates.items())
                                  if v])


def _add(ref: _Ref, sheet: Sheet, *, choices: bool, candidates: bool) -> None:
    ref.counted += 1
    for i, value in enumerate((sheet.voters.A.J, sheet.voters.B4.J, sheet.totals.A,
                               sheet.totals.B, sheet.totals.C)):
        ref.figures[i] += value
    if not choices:
        return
    for e in (*sheet.votes.tickets, *sheet.votes.candidates):
        ref.choices[e.number] = ref.choices.get(e.number, 0) + e.votes
    for p in sheet.votes.parties:
        ref.choices[p.number] = ref.choices.get(p.number, 0) + p.total
        ref.party_only[p.number] = ref.party_only.get(p.number, 0) + p.party_votes
        if candidates:
            for c in p.candidates:
                key = (p.number, c.number)
                ref.candidates[key] = ref.candidates.get(key, 0) + c.votes


def recompute(shape: Shape, current: dict[tuple[str, Contest], Version]
              ) -> dict[tuple[str, str], AggregateState]:
    refs: dict[tuple[str, str], _Ref] = {}
    for t in shape.tps.values():
        for contest in t.contests:
            dapil = t.dapil.get(contest)
            keys = [(f"{contest}", code) for code in chain_of(t.code)]
            if dapil:
                keys.append(("dapil", dapil))
            for key in keys:
                ref = refs.setdefault(key, _Ref())
                ref.expected += 1
                v = current.get((t.code, contest))
                if v is None:
                    continue
                ref.sheets_in += 1
                if v.flagged:
                    ref.flagged += 1
                    ref.flagged_votes += v.sheet.totals.C
                    continue
                national_dpd = contest is Contest.DPD and key[1] == NATIONAL
                _add(ref, v.sheet, choices=not national_dpd,
                     candidates=key[0] == "dapil" and contest.is_party_contest)
    return {k: r.state() for k, r in refs.items()}


def observed(tally: Tally, keys: list[tuple[str, str]]) -> dict[tuple[str, str], AggregateState]:
    return {k: (tally.dapil_aggregate(k[1]) if k[0] == "dapil"
                else tally.aggregate(Contest(k[0]), k[1])).state() for k in keys}


op = st.tuples(
    st.integers(0, len(TPS_CODES) - 1),  # TPS
    st.integers(0, 4),  # contest (modulo those held there)
    st.booleans(),  # signed by the PPK
    st.integers(1, 4),  # revision
    st.booleans(),  # flagged
    st.integers(0, 2**16),  # sheet seed
)


def run(ops: list[tuple[int, int, bool, int, bool, int]]) -> tuple[
        Tally, dict[tuple[str, Contest], Version], list[SheetVersion]]:
    tally = Tally(SHAPE)
    current: dict[tuple[str, Contest], Version] = {}
    applied: list[SheetVersion] = []
    for index, (t, c, ppk, revision, flagged, seed) in enumerate(ops):
        code = TPS_CODES[t]
        contests = SHAPE.tps[code].contests
        contest = contests[c % len(contests)]
        sheet = sheet_for(SHAPE, code, contest, seed, revision,
                          reason="koreksi pleno" if ppk else None)
        v = version(index * 3 + 1, sheet, ppk=ppk, flagged=flagged, shape=SHAPE)
        result = tally.apply(v)
        old = current.get((code, contest))
        accepted = old is None or (int(ppk), revision) > (old.rank, old.revision)
        assert (result.status == "current") is accepted
        if accepted:
            current[code, contest] = v
        applied.append(v)
    return tally, current, applied


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=40))
def test_incremental_equals_recomputation_at_every_level(ops: list[tuple[int, int, bool, int,
                                                                          bool, int]]) -> None:
    tally, current, _ = run(ops)
    expected = recompute(SHAPE, current)
    assert observed(tally, list(expected)) == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(op, max_size=30))
def test_national_is_the_sum_of_provinces_and_of_tps(ops: list[tuple[int, int, bool, int,
                                                                      bool, int]]) -> None:
    tally, current, _ = run(ops)
    for contest in Contest:
        national = tally.aggregate(contest, NATIONAL)
        provinces = [tally.aggregate(contest, p) for p in SHAPE.children[NATIONAL]]
        for name in ("sheets_expected", "sheets_in", "sheets_counted", "sheets_flagged",
                     "flagged_votes", "dpt", "voters", "valid", "invalid", "total"):
            assert getattr(national, name) == sum(getattr(p, name) for p in provinces)
        counted = [v for (_, c), v in current.items() if c is contest and not v.flagged]
        assert national.total == sum(v.sheet.totals.C for v in counted)
        assert national.valid == sum(v.sheet.totals.A for v in counted)
        if contest is not Contest.DPD:
            for n, votes in national.choices.items():
                assert votes == sum(p.choices.get(n, 0) for p in provinces)


@settings(max_examples=30, deadline=None)
@given(st.lists(op, max_size=30))
def test_snapshot_restore_round_trip(ops: list[tuple[int, int, bool, int, bool, int]]) -> None:
    tally, current, _ = run(ops)
    restored = Tally.restore(SHAPE, tally.snapshot())
    assert restored.as_of_index == tally.as_of_index
    assert restored.snapshot() == tally.snapshot()
    expected = recompute(SHAPE, current)
    assert observed(restored, list(expected)) == expected
    for code in TPS_CODES:
        for contest in SHAPE.tps[code].contests:
            assert restored.history(code, contest) == tally.history(code, contest)
            assert restored.current(code, contest) == tally.current(code, contest)
    assert restored.dpr_eligible() == tally.dpr_eligible()


def test_restoring_then_replaying_the_tail_equals_one_pass() -> None:
    ops = [(t % 8, t % 5, t % 7 == 0, 1 + t % 3, t % 4 == 0, t) for t in range(60)]
    full, _, versions = run(ops)
    head = Tally(SHAPE)
    head.apply_many(versions[:25])
    resumed = Tally.restore(SHAPE, head.snapshot())
    resumed.apply_many(versions[25:])
    assert resumed.snapshot() == full.snapshot()


@settings(max_examples=40, deadline=None)
@given(st.lists(op, max_size=40), st.lists(st.integers(1, 8), min_size=1, max_size=12))
def test_batches_equal_one_at_a_time_and_name_every_threshold_change(
        ops: list[tuple[int, int, bool, int, bool, int]], sizes: list[int]) -> None:
    """``apply_many`` decides the DPR parties over the threshold once per
    batch: the state is the same as applying one at a time, and a batch that
    changes the set says so (on its last version), one that does not, does not."""
    one_by_one, _, versions = run(ops)
    batched, at, k = Tally(SHAPE), 0, 0
    while at < len(versions):
        batch = versions[at:at + sizes[k % len(sizes)]]
        before = batched.dpr_eligible()
        out = batched.apply_many(batch)
        assert [a.index for a in out] == [v.index for v in batch]
        # (from the national DPR figures, not from what the tally decided)
        assert batched.dpr_eligible() == dpr_eligible(
            batched.aggregate(Contest.DPR, NATIONAL).choices)
        changed = [a for a in out if a.threshold_changed]
        assert len(changed) == (batched.dpr_eligible() != before)
        assert not changed or changed[0] is out[-1]
        at, k = at + len(batch), k + 1
    assert _state(batched) == _state(one_by_one)
    assert batched.dpr_eligible() == one_by_one.dpr_eligible()


def _state(tally: Tally) -> Snapshot:
    """The snapshot without the aggregates only read, never added to, and the
    others in one order (reading an aggregate first creates it, empty)."""
    snap = msgspec.msgpack.decode(tally.snapshot(), type=Snapshot)
    regions = sorted((r for r in snap.regions if r[2].layout is not None), key=lambda r: r[:2])
    return msgspec.structs.replace(snap, regions=regions,
                                   dapils=sorted(snap.dapils, key=lambda d: d[0]))


def test_a_clean_correction_brings_flagged_votes_in() -> None:
    code, contest = "3273011001001", Contest.PPWP
    tally = Tally(SHAPE)
    bad = sheet_for(SHAPE, code, contest, 1)
    tally.apply(version(10, bad, flagged=True))
    kec = tally.aggregate(contest, "327301")
    assert (kec.sheets_in, kec.sheets_counted, kec.sheets_flagged) == (1, 0, 1)
    assert kec.flagged_votes == bad.totals.C and kec.total == 0
    fixed = sheet_for(SHAPE, code, contest, 2, revision=1, reason="salah tulis di pleno")
    applied = tally.apply(version(11, fixed, ppk=True))
    assert (applied.status, applied.why, applied.previous) == ("current", "ppk-correction", 10)
    assert (kec.sheets_in, kec.sheets_counted, kec.sheets_flagged, kec.flagged_votes) == (
        1, 1, 0, 0)
    assert kec.total == fixed.totals.C
    late = tally.apply(version(12, sheet_for(SHAPE, code, contest, 3, revision=9)))
    assert (late.status, late.why) == ("stale", "REVISION-STALE")
    history = tally.history(code, contest)
    assert [(h.index, h.status, h.superseded_by) for h in history] == [
        (10, "superseded", 11), (11, "current", None), (12, "stale", None)]
    assert history[1].reason == "salah tulis di pleno"
    assert kec.total == fixed.totals.C


def test_party_candidates_only_in_dapil_and_dpd_not_national() -> None:
    tally = Tally(SHAPE)
    code = "3273011001001"
    tally.apply(version(1, sheet_for(SHAPE, code, Contest.DPR, 5)))
    tally.apply(version(2, sheet_for(SHAPE, code, Contest.DPD, 5)))
    assert tally.aggregate(Contest.DPR, "32").candidates == {}
    assert tally.dapil_aggregate("dpr-32-01").candidates
    assert tally.aggregate(Contest.DPD, NATIONAL).choices == {}
    assert tally.aggregate(Contest.DPD, "32").choices == tally.dapil_aggregate("dpd-32").choices


def test_out_of_order_unknown_tps_and_contest_are_refused() -> None:
    tally = Tally(SHAPE)
    sheet = sheet_for(SHAPE, "3273011001001", Contest.PPWP, 1)
    tally.apply(version(5, sheet))
    with pytest.raises(StateError):
        tally.apply(version(5, sheet))
    with pytest.raises(NotFoundError):
        tally.apply(version(6, msgspec.structs.replace(sheet, tps="3273011001999")))
    jakarta = sheet_for(SHAPE, "3171011001001", Contest.PPWP, 1)
    with pytest.raises(NotFoundError):
        tally.apply(version(7, msgspec.structs.replace(jakarta, contest=Contest.DPRD_KABKOTA)))


def test_restore_refuses_another_shape_and_garbage() -> None:
    tally = Tally(SHAPE)
    tally.apply(version(1, sheet_for(SHAPE, "3273011001001", Contest.PPWP, 1)))
    data = tally.snapshot()
    other = small_shape()
    other.fingerprint = "0" * 64
    with pytest.raises(StateError):
        Tally.restore(other, data)
    with pytest.raises(StateError):
        Tally.restore(SHAPE, data[:-3])
