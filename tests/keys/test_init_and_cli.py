"""``keys init`` / ``keys revoke`` / ``keys show`` / ``sheet sign`` on a small
hand-made election with the real log."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from saksi.election.model import Contest, Level, Region, Tps
from saksi.errors import NotFoundError, SaksiError, StateError
from saksi.keys import commands, keyfile
from saksi.keys.envelope import decode
from saksi.keys.hierarchy import ElectionKeysInput, init_keys, read_index
from saksi.keys.ids import Role
from saksi.keys.replay import log_entries, replay
from saksi.ledger.log import Log
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.samples import sample_ballot, sample_tps

TPS_CODES = [
    "3201010001001",
    "3201010001002",
    "3201020003001",
    "3273010001001",
    "3273010001002",
]


@dataclass(frozen=True)
class FakeManifest:
    region: str = "32"
    index_sha256: str = "ab" * 32
    seed: int = 7
    scale: str = "test"


class FakeElection:
    manifest = FakeManifest()

    def iter_tps(self) -> list[Tps]:
        return [Tps(c, f"TPS {c[-3:]}", 100, 100) for c in TPS_CODES]

    def tps(self, code: str) -> Tps:
        if code not in TPS_CODES:
            raise NotFoundError("tps", code, "TPS tidak ada", "no such TPS")
        return Tps(code, "TPS", 100, 100)

    def region(self, code: str) -> Region:
        return Region(code, f"Wilayah {code}", Level.KABKOTA, code[:2])


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="saksi")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.register(sub)
    sheet = sub.add_parser("sheet").add_subparsers(dest="sheet_command", required=True)
    commands.add_sheet_sign(sheet)
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


@pytest.fixture
def election_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(commands, "_open_election", lambda d: FakeElection())
    monkeypatch.delenv("SAKSI_PASSPHRASE", raising=False)
    return tmp_path


@pytest.fixture
def initialised(election_dir: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> Path:
    assert run(["keys", "init", str(election_dir), "--json"]) == 0
    capsysbinary.readouterr()
    return election_dir


def sheet_file(tmp: Path, tps: str) -> Path:
    sheet = generate_sheet(sample_ballot(Contest.PPWP, tps), sample_tps(tps), seed=1)
    path = tmp / f"sheet-{tps}.json"
    path.write_bytes(encode(sheet))
    return path


def test_init_writes_keys_0600_and_a_log_every_entry_of_which_is_accepted(
    election_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["keys", "init", str(election_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # 2 kab/kota + 3 kecamatan + 4 witnesses, 5 devices, 1 manifest
    assert summary["authorities"] == 5 and summary["devices"] == 5
    assert summary["log_size"] == 1 + 5 + summary["witnesses"] + 5
    keys = election_dir / "keys"
    private = [p for p in keys.rglob("*.key")]
    assert len(private) == 1 + 5 + summary["witnesses"] + 1  # + simulation master
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in private)
    assert keys.stat().st_mode & 0o077 == 0
    with Log.open(election_dir) as log:
        registry, refused = replay(log_entries(log))
        assert log.origin == "saksi.example/pemilu-abababababababab"
    assert refused == []
    assert registry.manifest is not None and registry.manifest.scope == "32"
    roles = [r.role for r in registry.records()]
    assert roles.count(Role.DEVICE) == 5 and roles.count(Role.KECAMATAN) == 3
    index = read_index(election_dir)
    assert index.root.keyid == summary["root_keyid"]


def test_init_refuses_to_run_twice(initialised: Path) -> None:
    with pytest.raises(StateError, match="refusing to initialise twice"):
        run(["keys", "init", str(initialised)])


def test_init_refuses_a_log_that_is_not_empty(election_dir: Path) -> None:
    with Log.create(election_dir, origin="saksi.example/other") as log:
        log.append_many([b"something else"])
    with pytest.raises(StateError, match="already holds 1 entries"):
        run(["keys", "init", str(election_dir)])
    assert not (election_dir / "keys").exists()


def test_signed_sheet_is_accepted_by_the_registry_of_the_log(
    initialised: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    tps = TPS_CODES[0]
    path = sheet_file(initialised, tps)
    assert run(["sheet", "sign", str(initialised), str(path), "--tps", tps,
                "--witness", "bawaslu", "--witness", "saksi-partai-1"]) == 0
    raw = capsysbinary.readouterr().out
    envelope = decode(raw)
    assert envelope.payload == path.read_bytes()
    with Log.open(initialised) as log:
        registry, _ = replay(log_entries(log))
        at = log.size
    verdict = registry.check_sheet(raw, tps, at)
    assert verdict.ok and verdict.role is Role.DEVICE and len(verdict.cosigners) == 2
    # The same envelope presented for another TPS is refused.
    assert registry.check_sheet(raw, TPS_CODES[1], at).code == "KEY-WRONG-TPS"


def test_ppk_signs_as_kecamatan_authority(
    initialised: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    tps = TPS_CODES[2]
    assert run(["sheet", "sign", str(initialised), str(sheet_file(initialised, tps)),
                "--tps", tps, "--as", "ppk"]) == 0
    raw = capsysbinary.readouterr().out
    with Log.open(initialised) as log:
        registry, _ = replay(log_entries(log))
        at = log.size
    verdict = registry.check_sheet(raw, tps, at)
    assert verdict.ok and verdict.role is Role.KECAMATAN and verdict.scope == tps[:6]


def test_sign_refuses_mismatched_or_unknown_tps_and_unknown_witness(initialised: Path) -> None:
    path = sheet_file(initialised, TPS_CODES[0])
    with pytest.raises(SaksiError, match="this sheet is for TPS"):
        run(["sheet", "sign", str(initialised), str(path), "--tps", TPS_CODES[1]])
    other = sheet_file(initialised, "3201010001009")
    with pytest.raises(NotFoundError):
        run(["sheet", "sign", str(initialised), str(other), "--tps", "3201010001009"])
    with pytest.raises(NotFoundError, match="unknown witness"):
        run(["sheet", "sign", str(initialised), str(path), "--tps", TPS_CODES[0],
             "--witness", "nobody"])


def test_revoked_device_is_refused_after_its_revocation(
    initialised: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    tps = TPS_CODES[3]
    assert run(["sheet", "sign", str(initialised), str(sheet_file(initialised, tps)),
                "--tps", tps]) == 0
    raw = capsysbinary.readouterr().out
    assert run(["keys", "revoke", str(initialised), "--key", tps, "--reason",
                "perangkat hilang / device lost"]) == 0
    assert b"revoked at log index" in capsysbinary.readouterr().out
    with Log.open(initialised) as log:
        registry, refused = replay(log_entries(log))
        revoked_at = log.size - 1
    assert refused == []
    assert registry.check_sheet(raw, tps, revoked_at - 1).ok
    assert registry.check_sheet(raw, tps, revoked_at + 1).code == "KEY-REVOKED"
    with pytest.raises(SaksiError, match="already revoked"):
        run(["keys", "revoke", str(initialised), "--key", tps, "--reason", "lagi"])


def test_revoking_an_authority_by_key_id(initialised: Path) -> None:
    index = read_index(initialised)
    kab = next(a for a in index.authorities if a.role is Role.KABKOTA)
    assert run(["keys", "revoke", str(initialised), "--key", kab.keyid, "--reason", "bocor"]) == 0
    with Log.open(initialised) as log:
        registry, _ = replay(log_entries(log))
    assert registry.revoked_at(kab.keyid) is not None
    with pytest.raises(NotFoundError):
        run(["keys", "revoke", str(initialised), "--key", "0" * 64, "--reason", "x"])


def test_show_lists_public_keys(
    initialised: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert run(["keys", "show", str(initialised), "--json"]) == 0
    data = json.loads(capsysbinary.readouterr().out)
    assert data["devices"] == 5 and data["root"]["role"] == "root"
    assert "secret" not in json.dumps(data)
    assert run(["keys", "show", str(initialised)]) == 0
    assert b"kecamatan" in capsysbinary.readouterr().out


def test_sealed_init_needs_the_passphrase_to_sign(
    election_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    # The cheapest argon2id parameters keep the test fast; the format records them.
    monkeypatch.setattr(keyfile, "SEAL_OPSLIMIT", keyfile.nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(keyfile, "SEAL_MEMLIMIT", keyfile.nacl.pwhash.argon2id.MEMLIMIT_MIN)
    secret = election_dir / "pass.txt"
    secret.write_text("rahasia sekali\n")
    assert run(["keys", "init", str(election_dir), "--passphrase-file", str(secret)]) == 0
    capsysbinary.readouterr()
    path = sheet_file(election_dir, TPS_CODES[0])
    with pytest.raises(SaksiError, match="sealed"):
        run(["sheet", "sign", str(election_dir), str(path), "--tps", TPS_CODES[0]])
    monkeypatch.setenv("SAKSI_PASSPHRASE", "tebakan-XYZ123")
    with pytest.raises(SaksiError, match="wrong passphrase") as exc:
        run(["sheet", "sign", str(election_dir), str(path), "--tps", TPS_CODES[0]])
    assert "XYZ123" not in str(exc.value)
    monkeypatch.setenv("SAKSI_PASSPHRASE", "rahasia sekali")
    assert run(["sheet", "sign", str(election_dir), str(path), "--tps", TPS_CODES[0]]) == 0
    assert decode(capsysbinary.readouterr().out).payload == path.read_bytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_init_keys_core_with_a_list_as_log(tmp_path: Path, workers: int) -> None:
    log: list[bytes] = []

    def append_many(entries: object) -> list[int]:
        assert isinstance(entries, list)
        start = len(log)
        log.extend(entries)
        return list(range(start, len(log)))

    report = init_keys(
        tmp_path,
        ElectionKeysInput(scope="0", index_sha256="cd" * 32, tps_codes=TPS_CODES,
                          region_name=lambda c: c),
        append_many,
        batch=2,  # several enrolment batches
        workers=workers,
    )
    assert report.entries == len(log)
    registry, refused = replay(log)
    assert refused == [] and len(registry) == len(log) - 0
    index = read_index(tmp_path)
    assert index.enrolments == (len(log) - 5, len(log) - 1)
    assert not any(p.name.startswith(".keys.partial") for p in tmp_path.iterdir())


def test_init_keys_leaves_no_keys_when_the_log_fails(tmp_path: Path) -> None:
    def failing(entries: object) -> list[int]:
        raise StateError("disk penuh", "disk full")

    with pytest.raises(StateError):
        init_keys(tmp_path, ElectionKeysInput("0", "cd" * 32, TPS_CODES, lambda c: c), failing)
    assert list(tmp_path.iterdir()) == []


def test_key_files_are_never_world_readable_even_with_a_lax_umask(election_dir: Path) -> None:
    old = os.umask(0)
    try:
        assert run(["keys", "init", str(election_dir)]) == 0
    finally:
        os.umask(old)
    for p in (election_dir / "keys").rglob("*.key"):
        assert p.stat().st_mode & 0o077 == 0, p
