"""The C check of a clean sheet (``saksi.ingest._fast``) never changes what the
precheck decides: for every document, generated or mutated, the Item with the
accelerator equals the Item of the Python path. And it does take the common
case: a clean, canonical sheet signed by known keys."""

from __future__ import annotations

import dataclasses
import os
import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.election import Election
from saksi.election.model import Contest, Tps
from saksi.ingest import precheck as pc
from saksi.ingest.accelerator import COUNTS
from saksi.ingest.outcome import Item
from saksi.ingest.precheck import Layouts, precheck
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_master
from saksi.keys.ids import key_id
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.inject import PATTERNS, inject
from saksi.sheets.model import Sheet, count_fields, with_counts
from saksi.tally.counts import counts_of

needs_accelerator = pytest.mark.skipif(
    pc.FAST is None and not os.environ.get("CI"),
    reason="the C accelerator is not built here (no compiler)")


@dataclasses.dataclass
class World:
    election: Election
    layouts: Layouts
    keys: dict[str, bytes]
    devices: dict[str, SigningKey]
    sheets: list[Sheet]  # one clean sheet of every contest at a few TPS

    def key(self, keyid: str) -> bytes | None:
        return self.keys.get(keyid)

    def sign(self, payload: bytes, tps: str, *more: SigningKey) -> bytes:
        return env.encode(env.sign(TYPE_SHEET, payload, [self.devices[tps], *more]))


@pytest.fixture(scope="module")
def world(built_election: Path) -> Iterator[World]:
    master = load_master(built_election, None)
    with Election.open(built_election) as election:
        sheets, devices, keys = [], {}, {}
        for t, _ in zip(election.iter_tps(), range(6), strict=False):
            devices[t.code] = device_key(master, t.code)
            keys[key_id(bytes(devices[t.code].verify_key))] = bytes(devices[t.code].verify_key)
            sheets += [generate_sheet(election.ballot(t.code, c), t, 7)
                       for c in election.contests_at(t.code)]
        yield World(election, Layouts(election, election.parties), keys, devices, sheets)


def _python_path(raw: bytes, election: Any, key: Callable[[str], bytes | None],
                 layouts: Layouts) -> Item:
    fast, pc.FAST = pc.FAST, None
    try:
        return precheck(raw, election, key, layouts)
    finally:
        pc.FAST = fast


def _same(world: World, raw: bytes, election: Any = None) -> Item:
    """The Item of both paths, asserted equal."""
    election = election or world.election
    layouts = Layouts(election, election.parties)
    expected = _python_path(raw, election, world.key, layouts)
    assert precheck(raw, election, world.key, layouts) == expected
    return expected


def test_ci_builds_the_accelerator() -> None:
    if os.environ.get("CI"):
        assert pc.FAST is not None, "CI installs a C compiler: the accelerator must be built"


@needs_accelerator
def test_a_clean_signed_sheet_of_every_contest_takes_the_fast_path(world: World) -> None:
    assert {s.contest for s in world.sheets} == set(Contest)
    for sheet in world.sheets:
        raw = world.sign(encode(sheet), sheet.tps)
        hit = pc.FAST(raw, TYPE_SHEET, world.layouts.spec, world.key)  # type: ignore[misc]
        assert hit is not None, sheet.contest
        item = _same(world, raw)
        assert (item.verified, item.verdict, item.flags) == (True, "clean", ())
        assert hit == (item.tps, item.contest, item.revision, item.reason, item.signers,
                       item.counts)


@needs_accelerator
@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_2024_error_patterns_get_the_same_verdict(world: World, pattern: str) -> None:
    rng = random.Random(pattern)
    for sheet in world.sheets:
        raw = world.sign(encode(inject(sheet, pattern, rng)), sheet.tps)
        assert pc.FAST(raw, TYPE_SHEET, world.layouts.spec, world.key) is None \
            or _same(world, raw).verdict == "clean"
        _same(world, raw)


@needs_accelerator
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changed_counts_get_the_same_item(world: World, data: st.DataObject) -> None:
    sheet = data.draw(st.sampled_from(world.sheets))
    fields = [path for path, _ in count_fields(sheet)]
    paths = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True))
    values = data.draw(st.lists(st.integers(0, 2_000), min_size=len(paths),
                                max_size=len(paths)))
    changed = with_counts(sheet, dict(zip(paths, values, strict=True)))
    _same(world, world.sign(encode(changed), sheet.tps))


# Moves that keep each row's J = L + P, so that the later rules get their turn:
# a count and its row's J together, or a ballot count and the unused ballots.
_MOVES = [(f"{row}.{part}", f"{row}.J") for row in ("voters.A", "voters.B1", "voters.B2",
                                                    "voters.B3", "voters.B4", "disabled")
          for part in ("L", "P")] + [("ballots.1", "ballots.4"), ("ballots.2", "ballots.4"),
                                     ("ballots.3", "ballots.4"), ("totals.A", "totals.C"),
                                     ("totals.B", "totals.C"), ("ballots.2", "totals.C")]


@needs_accelerator
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_consistent_moves_get_the_same_item(world: World, data: st.DataObject) -> None:
    sheet = data.draw(st.sampled_from(world.sheets))
    values = dict(count_fields(sheet))
    for first, second in data.draw(st.lists(st.sampled_from(_MOVES), min_size=1, max_size=3)):
        delta = data.draw(st.integers(-300, 300))
        for path in (first, second):
            values[path] = max(0, values[path] + delta)
    _same(world, world.sign(encode(with_counts(sheet, values)), sheet.tps))


@needs_accelerator
@pytest.mark.parametrize(("more", "less"), [("L", "P"), ("P", "L")])
def test_voters_of_one_sex_beyond_the_register_get_the_same_item(
        world: World, more: str, less: str) -> None:
    """B1.J within A.J, but B1.L (or B1.P) beyond A.L (A.P): B4 moves with it."""
    for sheet in world.sheets:
        values = dict(count_fields(sheet))
        shift = values[f"voters.A.{more}"] + 1 - values[f"voters.B1.{more}"]
        if values[f"voters.B1.{less}"] < shift:
            continue
        for row in ("B1", "B4"):
            values[f"voters.{row}.{more}"] += shift
            values[f"voters.{row}.{less}"] -= shift
        item = _same(world, world.sign(encode(with_counts(sheet, values)), sheet.tps))
        assert item.verdict == "flagged"


@needs_accelerator
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_payload_bytes_get_the_same_item(world: World, data: st.DataObject) -> None:
    sheet = data.draw(st.sampled_from(world.sheets))
    payload = bytearray(encode(sheet))
    at = data.draw(st.integers(0, len(payload) - 1))
    how = data.draw(st.sampled_from(("replace", "insert", "delete")))
    byte = data.draw(st.sampled_from(b'0123456789{}[]",: \\aAz\x00\xc3\x7f'))
    if how == "replace":
        payload[at] = byte
    elif how == "insert":
        payload.insert(at, byte)
    else:
        del payload[at]
    _same(world, world.sign(bytes(payload), sheet.tps))


@needs_accelerator
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_envelope_bytes_get_the_same_item(world: World, data: st.DataObject) -> None:
    sheet = data.draw(st.sampled_from(world.sheets))
    raw = bytearray(world.sign(encode(sheet), sheet.tps))
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] = data.draw(st.sampled_from(b'AQgw+/=0a"{},[]\\ '))
    _same(world, bytes(raw))


@needs_accelerator
@pytest.mark.parametrize("reason", ["", "salah hitung di TPS", "koreksi: B1 = 171", "x" * 500,
                                    "x" * 501, "angka \"58\"", "kolom\tC", "Cafe\u0301",
                                    "caf\u00e9", "a\\b"])
def test_reasons_get_the_same_item(world: World, reason: str) -> None:
    sheet = world.sheets[0]
    revised = msgspec.structs.replace(sheet, reason=reason, revision=2)
    payload = msgspec.json.encode(revised) if len(reason) > 500 else encode(revised)
    item = _same(world, world.sign(payload, sheet.tps))
    if len(reason) <= 500:
        assert item.reason == msgspec.json.decode(encode(revised), type=Sheet).reason


@needs_accelerator
def test_signatures_unknown_bad_cosigned_or_repeated_get_the_same_item(world: World) -> None:
    sheet = world.sheets[1]
    payload = encode(sheet)
    witness = SigningKey(b"\x07" * 32)
    unknown = _same(world, world.sign(payload, sheet.tps, witness))
    assert not unknown.verified and unknown.signers == ()
    world.keys[key_id(bytes(witness.verify_key))] = bytes(witness.verify_key)
    try:
        cosigned = _same(world, world.sign(payload, sheet.tps, witness))
        assert cosigned.verified and len(cosigned.signers) == 2
    finally:
        del world.keys[key_id(bytes(witness.verify_key))]
    other = next(code for code in world.devices if code != sheet.tps)
    forged = env.encode(env.sign(TYPE_SHEET, payload, [world.devices[other]]))
    raw = forged.replace(key_id(bytes(world.devices[other].verify_key)).encode(),
                         key_id(bytes(world.devices[sheet.tps].verify_key)).encode())
    assert _same(world, raw).refusal is not None  # SIG-INVALID
    one = world.sign(payload, sheet.tps)
    signature = one[one.index(b'[') + 1:-2]
    assert _same(world, one[:-2] + b"," + signature + b"]}").refusal is not None


class _Elsewhere:
    """The election with one TPS's register or name changed: the DPT rule and
    the cap of an overseas POS."""

    def __init__(self, election: Election, code: str, **changes: Any) -> None:
        self._election, self._code, self._changes = election, code, changes
        self.parties = election.parties

    def tps(self, code: str) -> Tps:
        tps = self._election.tps(code)
        return dataclasses.replace(tps, **self._changes) if code == self._code else tps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._election, name)


@needs_accelerator
@pytest.mark.parametrize("name", ["TPS 001", "POS 001"])
@pytest.mark.parametrize("more", [0, 1, 200])
def test_register_and_cap_get_the_same_item(world: World, name: str, more: int) -> None:
    """I.A against a register of ``more`` voters more than the sheet's (0: equal),
    and 200 more on both sides: past the cap of 300, which a POS does not have."""
    for sheet in world.sheets[:5]:
        tps = world.election.tps(sheet.tps)
        if more == 200:
            a = sheet.voters.A
            sheet = with_counts(sheet, {"voters.A.L": a.L + 200, "voters.A.J": a.J + 200})
        raw = world.sign(encode(sheet), sheet.tps)
        item = _same(world, raw, _Elsewhere(world.election, sheet.tps, name=name,
                                            dpt_l=tps.dpt_l + more))
        if more == 200:
            assert (item.verdict == "clean") == (name == "POS 001")


@needs_accelerator
def test_wrong_tps_or_contest_gets_the_same_item(world: World) -> None:
    sheet = world.sheets[0]
    for changed in (msgspec.structs.replace(sheet, tps="9999999999999"),
                    msgspec.structs.replace(sheet, tps=world.sheets[-1].tps)):
        _same(world, world.sign(encode(changed), sheet.tps))


@needs_accelerator
def test_a_callback_that_checks_another_sheet_meanwhile_gets_both_right(world: World) -> None:
    """The accelerator keeps one scratch area; a call made while another waits on
    its callback (as a second thread could) must get its own."""
    first, second = world.sheets[0], world.sheets[3]
    inner: list[object] = []

    def spec(code: str, contest: str) -> object:
        if not inner:
            raw = world.sign(encode(second), second.tps)
            inner.append(pc.FAST(raw, TYPE_SHEET, world.layouts.spec, world.key))  # type: ignore[misc]
        return world.layouts.spec(code, contest)

    hit = pc.FAST(world.sign(encode(first), first.tps), TYPE_SHEET, spec, world.key)  # type: ignore[misc]
    assert hit is not None and hit[0] == first.tps and hit[1] == first.contest
    assert inner[0] is not None and inner[0][1] == second.contest  # type: ignore[index]


# --- the replay's counts -------------------------------------------------------
def _layout_of(world: World) -> Callable[[str, str], tuple[int, int] | None]:
    def layout_of(tps: str, contest: str) -> tuple[int, int] | None:
        layout = world.layouts(tps, Contest(contest))
        return layout.choices, layout.candidates
    return layout_of


@needs_accelerator
@pytest.mark.parametrize("pattern", [None, *PATTERNS])
def test_the_replay_reads_the_counts_the_python_path_computes(
        world: World, pattern: str | None) -> None:
    """Clean or flagged, a canonical sheet's counts are those of ``counts_of``."""
    assert COUNTS is not None
    rng = random.Random(pattern)
    for sheet in world.sheets:
        sheet = sheet if pattern is None else inject(sheet, pattern, rng)
        raw = world.sign(encode(sheet), sheet.tps)
        read = COUNTS(raw, TYPE_SHEET, _layout_of(world))
        assert read is not None
        layout = world.layouts(sheet.tps, sheet.contest)
        assert read == (sheet.tps, str(sheet.contest), sheet.revision, sheet.reason,
                        counts_of(sheet, layout))


@needs_accelerator
def test_the_replay_leaves_to_python_what_it_does_not_read(world: World) -> None:
    assert COUNTS is not None
    sheet = world.sheets[2]
    layout_of = _layout_of(world)
    escaped = msgspec.structs.replace(sheet, reason="caf\u00e9", revision=2)
    assert COUNTS(world.sign(encode(escaped), sheet.tps), TYPE_SHEET, layout_of) is None
    assert COUNTS(world.sign(encode(sheet), sheet.tps), TYPE_SHEET, lambda t, c: None) is None
    assert COUNTS(world.sign(encode(sheet), sheet.tps), TYPE_SHEET, lambda t, c: (1, 1)) \
        is None  # numbers outside the layout: counts_of raises there, Python says so
    assert COUNTS(b"{}", TYPE_SHEET, layout_of) is None


@needs_accelerator
def test_a_restart_replays_the_same_tally_with_and_without_the_accelerator(
        election_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every contest, clean, flagged and revised, with and without a reason:
    the tally a restart rebuilds from the index is the same either way."""
    from saksi.ingest import Ingestor, Receipt
    from saksi.ingest import sequencer as seq_module
    from saksi.store.base import default_url

    master = load_master(election_dir, None)
    rng = random.Random(3)
    raws = []
    with Election.open(election_dir) as election:
        for n, (t, _) in enumerate(zip(election.iter_tps(), range(8), strict=False)):
            device = device_key(master, t.code)
            for contest in election.contests_at(t.code):
                sheet = generate_sheet(election.ballot(t.code, contest), t, n)
                if n % 3 == 1:
                    sheet = inject(sheet, PATTERNS[n % len(PATTERNS)], rng)
                raws.append(env.encode(env.sign(TYPE_SHEET, encode(sheet), [device])))
                if n % 4 == 2:
                    later = msgspec.structs.replace(sheet, revision=2,
                                                    reason="dihitung ulang" if n % 8 else None)
                    raws.append(env.encode(env.sign(TYPE_SHEET, encode(later), [device])))
    with Ingestor.open(election_dir) as ingestor:
        outcomes = ingestor.submit_many(raws)
    assert all(isinstance(o, Receipt) for o in outcomes)
    with sqlite3.connect(election_dir / "saksi.sqlite") as db:  # the next open replays all
        db.execute("DELETE FROM state WHERE name = 'snapshot'")

    def restored() -> bytes:
        seq = seq_module.Sequencer.open(election_dir, default_url(election_dir))
        try:
            return seq.tally.snapshot()
        finally:
            # closed without the snapshot ``close`` takes: the next open replays again
            seq._snapshots.wait()
            seq.log.close()
            seq.store.close()
            seq.election.close()

    assert COUNTS is not None
    monkeypatch.setattr(seq_module, "COUNTS", None)
    by_python = restored()
    monkeypatch.setattr(seq_module, "COUNTS", COUNTS)
    assert restored() == by_python
