"""The log is read once: workers hash and check each bundle with the keys they have
heard of, and the parent judges every signature a worker could not call good with
the keys named up to that entry. What a worker knows changes speed, never a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from audit_support import codes, entries_of, rebuild, verify

from saksi.audit import scan
from saksi.audit.scan import KeyJournal

SHEET = "application/vnd.saksi.sheet.v1+json"


def _deaf(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers that never hear of another worker's keys; counts the parent's second looks
    (the pool forks after this, so the workers inherit the patches)."""
    monkeypatch.setattr(KeyJournal, "publish", lambda self, named: None)
    monkeypatch.setattr(KeyJournal, "_read", lambda self: None)
    looks: list[int] = []
    original = scan.verdicts_of

    def counted(raw: bytes, lookup: Any) -> tuple[int, ...]:
        looks.append(1)
        return original(raw, lookup)

    monkeypatch.setattr(scan, "verdicts_of", counted)
    return looks


def _forged(entry: bytes) -> bytes:
    """The same envelope with one bit of its signature flipped (canonical still)."""
    from saksi.keys import envelope as env

    e = env.decode(entry)
    sig = e.signatures[0]
    bad = env.Signature(sig.keyid, bytes([sig.sig[0] ^ 1]) + sig.sig[1:])
    return env.encode(msgspec.structs.replace(e, signatures=(bad, *e.signatures[1:])))


def _is_sheet(entry: bytes) -> bool:
    from saksi.keys import envelope as env

    return env.decode(entry).payload_type == SHEET


@pytest.fixture
def spread(election: tuple[Path, str]) -> Iterator[tuple[Path, str, list[bytes]]]:
    """The election's log: more than one bundle, its sheets after the enrolments, so a
    worker checks sheets whose keys another worker read."""
    directory, vkey = election
    entries = entries_of(directory)
    assert len(entries) > 256
    yield directory, vkey, entries


def test_a_worker_that_never_hears_of_the_keys_changes_no_verdict(
        spread: tuple[Path, str, list[bytes]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey, _ = spread
    code, heard = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 0
    looks = _deaf(monkeypatch)
    code, deaf = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 0, deaf["findings"]
    assert looks, "the second bundle's signatures were verified again by the parent"
    for field in ("entries_checked", "sheets", "controls", "current", "counted", "flagged"):
        assert deaf[field] == heard[field]


def test_a_bad_signature_is_caught_whoever_checks_it(
        spread: tuple[Path, str, list[bytes]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey, entries = spread
    at = max(i for i, e in enumerate(entries) if _is_sheet(e))
    assert at >= 256  # in the bundle the enrolments are not in
    entries[at] = _forged(entries[at])
    rebuild(directory, entries)
    code, heard = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    _deaf(monkeypatch)
    code2, deaf = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == code2 == 1
    assert [(f["code"], f.get("index")) for f in heard["findings"]] == [("SIG-INVALID", at)]
    assert deaf["findings"] == heard["findings"]


def test_a_sheet_logged_before_its_key_was_enrolled_is_signed_by_an_unknown_key(
        spread: tuple[Path, str, list[bytes]], capsys: pytest.CaptureFixture[str]) -> None:
    """A key counts from the entry that names it: a sheet before that entry is signed by
    an unknown key, whether its signature would verify (here) or not."""
    from saksi.keys import envelope as env

    directory, vkey, entries = spread
    at = max(i for i, e in enumerate(entries) if _is_sheet(e))
    sheet = entries.pop(at)
    tps = json.loads(env.decode(sheet).payload)["tps"]
    first_enrolment = next(i for i, e in enumerate(entries) if not _is_sheet(e)
                           and json.loads(env.decode(e).payload).get("tps") == tps)
    entries.insert(first_enrolment, sheet)
    rebuild(directory, entries)
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1
    assert ("KEY-UNKNOWN", first_enrolment) in {(f["code"], f.get("index"))
                                                for f in report["findings"]}
    assert "SIG-INVALID" not in codes(report)


def test_the_key_journal_shares_whole_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    a, b = KeyJournal(path, {}), KeyJournal(path, {"k0": "h0"})
    a.publish([(1, "k1", "h1"), (2, "k2", "h2")])
    assert b.lookup("k0") == "h0" and b.lookup("k1") == "h1" and b.lookup("k2") == "h2"
    with path.open("ab") as out:
        out.write(b"k3 h")  # a line still being written
    b.fresh = False
    assert b.lookup("k3") is None
    with path.open("ab") as out:
        out.write(b"3\n")
    assert b.lookup("k3") is None  # read at most once per bundle …
    b.fresh = False
    assert b.lookup("k3") == "h3"  # … and a torn line is read whole once complete
    a.publish([(4, "k1", "other")])
    b.fresh = False
    assert b.lookup("missing") is None and b.lookup("k1") == "h1"  # first naming wins


def test_a_signature_nobody_checked_grants_nothing(
        spread: tuple[Path, str, list[bytes]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without the parent's second look the deaf workers' sheets would stand on
    signatures no one verified: the replay refuses them."""
    from saksi.audit.verify import Pass

    directory, vkey, _ = spread
    _deaf(monkeypatch)
    monkeypatch.setattr(Pass, "_second_look", lambda self, bundle, r: r)
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1 and codes(report) == {"SIG-UNCHECKED"}
    assert min(f["index"] for f in report["findings"]) >= 256


def test_a_log_larger_than_memory_is_read_the_same_with_its_pages_dropped(
        spread: tuple[Path, str, list[bytes]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from saksi.audit import verify as verify_module

    directory, vkey, _ = spread
    code, kept = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    monkeypatch.setattr(verify_module, "_beyond_cache", lambda log, bundles: True)
    code2, dropped = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == code2 == 0 and scan.DROP_PAGES[0] is True
    assert {k: v for k, v in dropped.items() if k != "seconds"} == \
        {k: v for k, v in kept.items() if k != "seconds"}


def test_only_a_log_beyond_half_the_memory_has_its_pages_dropped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from saksi.audit.scan import Bundle
    from saksi.audit.tlog import tile_path
    from saksi.audit.verify import _beyond_cache

    page = os.sysconf("SC_PAGE_SIZE")
    monkeypatch.setattr(os, "sysconf", lambda name: page if name == "SC_PAGE_SIZE"
                        else (8 << 20) // page)  # a machine of 8 MiB
    for n in range(10):
        path = tmp_path / tile_path("entries", n)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * (1000 if n < 5 else 4000))  # control entries first: small
    ten = [Bundle(n, 256, 0) for n in range(10)]
    assert not _beyond_cache(tmp_path, ten)
    assert not _beyond_cache(tmp_path, [])
    # 1,600 bundles sampled 1 in 100: 8 of 1,000 bytes, 8 of 4,000: about 4 MB
    assert not _beyond_cache(tmp_path, [ten[0]] * 800 + [ten[9]] * 800)  # 4.0 MB
    assert _beyond_cache(tmp_path, [ten[0]] * 700 + [ten[9]] * 1000)  # 4.6 MB
