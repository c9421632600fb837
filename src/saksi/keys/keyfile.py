"""Private key files: one 32-byte secret per file, mode 0600, optionally
sealed with a passphrase (argon2id → XSalsa20-Poly1305 SecretBox).

Plain:  {"kind":"ed25519","secret":"<hex>","v":1}
Sealed: {"box":"<base64 nonce‖ciphertext>","kind":"ed25519","memlimit":N,
         "opslimit":N,"salt":"<hex>","v":1}

``kind`` says what the secret is (an Ed25519 seed, or the simulation master
seed) so that one file cannot be loaded as the other by mistake.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

import msgspec
import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.signing import SigningKey

from saksi.errors import InputError, NotFoundError, StateError

SECRET_BYTES = 32
KIND_ED25519 = "ed25519"
KIND_SIM_MASTER = "simulation-master"

# Sealing cost: "moderate" (≈ 256 MiB, under a second) suits keys unsealed
# once per command; tests pass the minimum to stay fast.
SEAL_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
SEAL_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE


class _Plain(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str
    secret: str
    v: int


class _Sealed(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    box: bytes
    kind: str
    memlimit: int
    opslimit: int
    salt: str
    v: int


_plain_decoder = msgspec.json.Decoder(_Plain)
_sealed_decoder = msgspec.json.Decoder(_Sealed)


@functools.lru_cache(maxsize=8)
def _box_key(passphrase: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    # Cached: ``keys init`` seals thousands of authority keys with one salt,
    # and a command that opens several sealed files derives the key once.
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase, salt, opslimit=opslimit, memlimit=memlimit
    )


class Sealer:
    """Seals many secrets under one passphrase with one argon2id derivation
    (one salt per sealer; each file still gets its own random nonce)."""

    def __init__(
        self,
        passphrase: bytes,
        *,
        opslimit: int | None = None,
        memlimit: int | None = None,
    ) -> None:
        self.salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        self.opslimit = SEAL_OPSLIMIT if opslimit is None else opslimit
        self.memlimit = SEAL_MEMLIMIT if memlimit is None else memlimit
        self._box = nacl.secret.SecretBox(
            _box_key(passphrase, self.salt, self.opslimit, self.memlimit)
        )

    def seal(self, secret: bytes, kind: str) -> bytes:
        return msgspec.json.encode(
            _Sealed(
                box=bytes(self._box.encrypt(secret)),
                kind=kind,
                memlimit=self.memlimit,
                opslimit=self.opslimit,
                salt=self.salt.hex(),
                v=1,
            )
        )


def write_secret(
    path: Path,
    secret: bytes,
    *,
    kind: str = KIND_ED25519,
    sealer: Sealer | None = None,
) -> None:
    """Create ``path`` (mode 0600, never overwriting) holding ``secret``,
    sealed if a ``sealer`` is given."""
    if len(secret) != SECRET_BYTES:
        raise ValueError("a secret is 32 bytes")
    if sealer is None:
        data = msgspec.json.encode(_Plain(kind=kind, secret=secret.hex(), v=1))
    else:
        data = sealer.seal(secret, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise StateError(
            f"berkas kunci sudah ada: {path}", f"key file already exists: {path}"
        ) from None
    try:
        os.fchmod(fd, 0o600)  # the umask may only have narrowed it; make it exact
        os.write(fd, data + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def is_sealed(path: Path) -> bool:
    return b'"box"' in _read_checked(path)


def _read_checked(path: Path) -> bytes:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NotFoundError(
            "key", str(path), "berkas kunci tidak ditemukan", "key file not found"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise StateError(f"bukan berkas biasa: {path}", f"not a regular file: {path}")
    if st.st_mode & 0o077:
        raise StateError(
            f"berkas kunci {path} dapat dibaca pihak lain (mode {st.st_mode & 0o777:o}); "
            "jalankan chmod 600",
            f"key file {path} is accessible to group/others (mode {st.st_mode & 0o777:o}); "
            "run chmod 600",
        )
    return path.read_bytes()


def read_secret(path: Path, *, kind: str = KIND_ED25519, passphrase: bytes | None = None) -> bytes:
    """The 32-byte secret in ``path``; refuses files readable by group/others."""
    raw = _read_checked(path).rstrip(b"\n")
    malformed = StateError(
        f"berkas kunci rusak: {path}", f"malformed key file: {path}"
    )
    try:
        plain: _Plain | None = _plain_decoder.decode(raw)
        sealed: _Sealed | None = None
    except (msgspec.DecodeError, ValueError):
        plain = None
        try:
            sealed = _sealed_decoder.decode(raw)
        except (msgspec.DecodeError, ValueError):
            raise malformed from None
    found_kind = plain.kind if plain else sealed.kind if sealed else ""
    if found_kind != kind:
        raise StateError(
            f"berkas {path} berisi kunci jenis {found_kind!r}, bukan {kind!r}",
            f"file {path} holds a {found_kind!r} key, not {kind!r}",
        )
    if plain is not None:
        try:
            secret = bytes.fromhex(plain.secret)
        except ValueError:
            raise malformed from None
    else:
        assert sealed is not None
        if passphrase is None:
            raise InputError(
                "passphrase",
                "",
                f"kunci {path} tersegel: berikan --passphrase-file atau SAKSI_PASSPHRASE",
                f"key {path} is sealed: give --passphrase-file or SAKSI_PASSPHRASE",
            )
        try:
            box = nacl.secret.SecretBox(
                _box_key(passphrase, bytes.fromhex(sealed.salt), sealed.opslimit, sealed.memlimit)
            )
            secret = box.decrypt(sealed.box)
        except nacl.exceptions.CryptoError:
            # The passphrase value is never echoed back.
            raise InputError(
                "passphrase",
                "***",
                f"frasa sandi salah untuk {path}",
                f"wrong passphrase for {path}",
            ) from None
        except ValueError:
            raise malformed from None
    if len(secret) != SECRET_BYTES:
        raise malformed
    return secret


def write_signing_key(path: Path, key: SigningKey, *, sealer: Sealer | None = None) -> None:
    write_secret(path, bytes(key), sealer=sealer)


def read_signing_key(path: Path, *, passphrase: bytes | None = None) -> SigningKey:
    return SigningKey(read_secret(path, passphrase=passphrase))


def passphrase_from(file: str | None) -> bytes | None:
    """The passphrase from ``--passphrase-file`` (one trailing newline dropped)
    or the ``SAKSI_PASSPHRASE`` environment variable, else None."""
    if file is not None:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise InputError(
                "--passphrase-file", file, "berkas frasa sandi tak terbaca",
                f"cannot read passphrase file: {exc.strerror}",
            ) from None
        data = data.removesuffix(b"\n").removesuffix(b"\r")
    else:
        env = os.environ.get("SAKSI_PASSPHRASE")
        if env is None:
            return None
        data = env.encode("utf-8")
    if not data:
        raise InputError("passphrase", "", "frasa sandi kosong", "empty passphrase")
    return data
