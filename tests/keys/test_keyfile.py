"""Private key files: 0600, refused when readable by others, sealed with a passphrase."""

from __future__ import annotations

import os
from pathlib import Path

import nacl.pwhash
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.errors import InputError, NotFoundError, StateError
from saksi.keys import keyfile
from saksi.keys.keyfile import (
    KIND_SIM_MASTER,
    Sealer,
    is_sealed,
    passphrase_from,
    read_secret,
    read_signing_key,
    write_secret,
    write_signing_key,
)
from saksi.keys.simulation import device_key, device_seed

FAST = {"opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
        "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN}


def test_plain_key_round_trip_with_mode_0600(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "sub" / "a.key"
    write_signing_key(path, key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert bytes(read_signing_key(path)) == bytes(key)
    assert not is_sealed(path)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_readable_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "a.key"
    write_signing_key(path, SigningKey.generate())
    os.chmod(path, mode)
    with pytest.raises(StateError, match="chmod 600"):
        read_signing_key(path)


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.key"
    write_signing_key(path, SigningKey.generate())
    with pytest.raises(StateError, match="already exists"):
        write_signing_key(path, SigningKey.generate())


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        read_signing_key(tmp_path / "none.key")
    bad = tmp_path / "bad.key"
    bad.write_bytes(b'{"kind":"ed25519","secret":"zz","v":1}')
    os.chmod(bad, 0o600)
    with pytest.raises(StateError, match="malformed"):
        read_signing_key(bad)


def test_sealed_round_trip_and_wrong_passphrase(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "root.key"
    write_signing_key(path, key, sealer=Sealer(b"kata sandi", **FAST))
    assert is_sealed(path)
    assert bytes(key).hex() not in path.read_text()
    assert bytes(read_signing_key(path, passphrase=b"kata sandi")) == bytes(key)
    with pytest.raises(InputError, match="wrong passphrase") as exc:
        read_signing_key(path, passphrase=b"bukan ini")
    assert "bukan ini" not in str(exc.value)
    with pytest.raises(InputError, match="is sealed"):
        read_signing_key(path)


def test_one_sealer_many_files_each_with_its_own_nonce(tmp_path: Path) -> None:
    sealer = Sealer(b"pw", **FAST)
    secret = os.urandom(32)
    write_secret(tmp_path / "a.key", secret, sealer=sealer)
    write_secret(tmp_path / "b.key", secret, sealer=sealer)
    assert (tmp_path / "a.key").read_bytes() != (tmp_path / "b.key").read_bytes()
    for name in ("a.key", "b.key"):
        assert read_secret(tmp_path / name, passphrase=b"pw") == secret


def test_kind_mismatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_secret(path, os.urandom(32), kind=KIND_SIM_MASTER)
    with pytest.raises(StateError, match="holds a 'simulation-master' key"):
        read_signing_key(path)


def test_passphrase_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAKSI_PASSPHRASE", raising=False)
    assert passphrase_from(None) is None
    monkeypatch.setenv("SAKSI_PASSPHRASE", "dari env")
    assert passphrase_from(None) == b"dari env"
    f = tmp_path / "pw"
    f.write_bytes(b"dari berkas\n")
    assert passphrase_from(str(f)) == b"dari berkas"  # the file wins
    f.write_bytes(b"\n")
    with pytest.raises(InputError, match="empty"):
        passphrase_from(str(f))
    with pytest.raises(InputError):
        passphrase_from(str(tmp_path / "missing"))


def test_default_sealing_cost_is_not_the_minimum() -> None:
    assert keyfile.SEAL_MEMLIMIT >= nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


@settings(max_examples=30)
@given(st.binary(min_size=32, max_size=32), st.text("0123456789", min_size=13, max_size=13),
       st.text("0123456789", min_size=13, max_size=13))
def test_device_keys_are_deterministic_and_distinct(master: bytes, a: str, b: str) -> None:
    assert bytes(device_key(master, a)) == bytes(device_key(master, a))
    assert (device_seed(master, a) == device_seed(master, b)) == (a == b)
    other = bytes([master[0] ^ 1]) + master[1:]
    assert device_seed(other, a) != device_seed(master, a)
