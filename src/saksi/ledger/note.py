"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and Ed25519
witness cosignatures (c2sp.org/tlog-cosignature, ``cosignature/v1``).

Key encodings (same shape for both signature types):

* verifier key ``<name>+<hex key id>+base64(<type byte> || 32-byte public key)``
* signer key ``PRIVATE+KEY+<name>+<hex key id>+base64(<type byte> || 32-byte seed)``

with ``key id = SHA-256(name || 0x0A || type byte || public key)[:4]``; type
``0x01`` is a plain Ed25519 note signature, ``0x04`` a timestamped cosignature.

Parsing is strict: valid UTF-8, no control characters but newline, text ends
in newline, exactly one separating blank line (the last one), well-formed
signature lines, standard padded base64 that re-encodes identically.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.signing

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
_COSIG_HEADER = "cosignature/v1\n"
_DASH = "\u2014"
_MAX_TIMESTAMP = (1 << 63) - 1


class NoteError(ValueError):
    """A note, key or signature that is malformed or does not verify."""


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str) -> bytes:
    """Standard padded base64 only; rejects anything that would not round-trip."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"bad base64: {text!r}") from exc
    if b64encode(raw) != text:
        raise NoteError(f"non-canonical base64: {text!r}")
    return raw


def _check_name(name: str) -> None:
    if not name or any(ch.isspace() or ch == "+" for ch in name) or _has_control(name):
        raise NoteError(f"bad key name: {name!r}")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 and ch != "\n" for ch in text)


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """The 4-byte key ID of a key (big-endian uint32 on the wire)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key that can check note signatures of one type."""

    name: str
    alg: int
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type 0x{self.alg:02x}")
        if len(self.public_key) != 32:
            raise NoteError("Ed25519 public keys are 32 bytes")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public_key)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64encode(bytes([self.alg]) + self.public_key)}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.split("+", 2)  # base64 may itself contain "+"
        if len(parts) != 3:
            raise NoteError(f"malformed verifier key: {vkey!r}")
        name, hexid, blob = parts
        if not re.fullmatch(r"[0-9a-f]{8}", hexid):
            raise NoteError(f"malformed key id in verifier key: {vkey!r}")
        raw = b64decode_strict(blob)
        if len(raw) != 33:
            raise NoteError(f"malformed key material in verifier key: {vkey!r}")
        v = cls(name, raw[0], raw[1:])
        if v.key_id.hex() != hexid:
            raise NoteError(f"key id does not match key in verifier key: {vkey!r}")
        return v

    def _verify_raw(self, message: bytes, sig: bytes) -> bool:
        try:
            nacl.signing.VerifyKey(self.public_key).verify(message, sig)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
            return False
        return True

    def verify(self, text: str, sig: bytes) -> bool:
        """Check a signature (without the 4-byte key ID) over a note text."""
        if self.alg == ALG_ED25519:
            return len(sig) == 64 and self._verify_raw(text.encode("utf-8"), sig)
        if len(sig) != 72:
            return False
        (timestamp,) = struct.unpack(">Q", sig[:8])
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self._verify_raw(cosigned_message(text, timestamp), sig[8:])


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: header line, time line, then the checkpoint body."""
    return f"{_COSIG_HEADER}time {timestamp}\n{text}".encode()


@dataclass(frozen=True, repr=False)
class Signer:
    """A private key: Ed25519 seed, key name and signature type."""

    name: str
    alg: int
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.alg not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type 0x{self.alg:02x}")
        if len(self.seed) != 32:
            raise NoteError("Ed25519 seeds are 32 bytes")

    def __repr__(self) -> str:  # never show the seed
        return f"Signer(name={self.name!r}, alg={self.alg})"

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> Signer:
        return cls(name, alg, bytes(nacl.signing.SigningKey.generate()))

    @property
    def _sk(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(self.seed)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.alg, bytes(self._sk.verify_key))

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    @property
    def skey(self) -> str:
        kid = self.verifier.key_id.hex()
        return f"PRIVATE+KEY+{self.name}+{kid}+{b64encode(bytes([self.alg]) + self.seed)}"

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("malformed signer key")
        name, hexid, blob = parts[2:]
        raw = b64decode_strict(blob)
        if len(raw) != 33:
            raise NoteError("malformed signer key material")
        s = cls(name, raw[0], raw[1:])
        if s.verifier.key_id.hex() != hexid:
            raise NoteError("key id does not match signer key")
        return s

    def signature_line(self, text: str, timestamp: int | None = None) -> str:
        """A ``— name base64(...)`` line signing ``text``; cosigners need ``timestamp``."""
        if self.alg == ALG_ED25519:
            sig = self._sk.sign(text.encode("utf-8")).signature
        else:
            if timestamp is None or not 0 <= timestamp <= _MAX_TIMESTAMP:
                raise NoteError("a cosignature needs a timestamp in [0, 2^63-1]")
            sig = (
                struct.pack(">Q", timestamp)
                + self._sk.sign(cosigned_message(text, timestamp)).signature
            )
        return f"{_DASH} {self.name} {b64encode(self.verifier.key_id + sig)}\n"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    sig: bytes

    @property
    def line(self) -> str:
        return f"{_DASH} {self.name} {b64encode(self.key_id + self.sig)}\n"

    @property
    def timestamp(self) -> int | None:
        """The cosignature timestamp, if this is a 72-byte cosignature."""
        return struct.unpack(">Q", self.sig[:8])[0] if len(self.sig) == 72 else None


@dataclass(frozen=True)
class Note:
    """A parsed signed note: text (ending in newline) and signatures in order."""

    text: str
    signatures: tuple[Signature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)

    @classmethod
    def parse(cls, data: str | bytes) -> Note:
        if isinstance(data, bytes):
            if len(data) > MAX_NOTE_BYTES:
                raise NoteError("note too large")
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NoteError("note is not UTF-8") from exc
        if len(data) > MAX_NOTE_BYTES:
            raise NoteError("note too large")
        if _has_control(data):
            raise NoteError("note contains control characters")
        if not data.endswith("\n"):
            raise NoteError("note does not end in newline")
        split = data.rfind("\n\n")
        if split < 0:
            raise NoteError("note has no signature block")
        text, block = data[: split + 1], data[split + 2 :]
        if not block:
            raise NoteError("note has no signatures")
        sigs: list[Signature] = []
        for line in block[:-1].split("\n"):
            sigs.append(_parse_signature_line(line))
            if len(sigs) > MAX_SIGNATURES:
                raise NoteError("too many signatures")
        return cls(text, tuple(sigs))

    def verified_by(self, verifiers: list[Verifier]) -> list[Verifier]:
        """The known verifiers whose signatures are on this note and verify.

        Unknown signatures are ignored, as the spec requires; a signature from a
        known key that fails raises :class:`NoteError` (the whole note is rejected).
        """
        ok: list[Verifier] = []
        for s in self.signatures:
            for v in verifiers:
                if v.name == s.name and v.key_id == s.key_id:
                    if not v.verify(self.text, s.sig):
                        raise NoteError(f"invalid signature from {v.name}")
                    if v not in ok:
                        ok.append(v)
        return ok


def _parse_signature_line(line: str) -> Signature:
    prefix = _DASH + " "
    if not line.startswith(prefix):
        raise NoteError(f"malformed signature line: {line!r}")
    rest = line[len(prefix) :]
    parts = rest.split(" ")
    if len(parts) != 2:
        raise NoteError(f"malformed signature line: {line!r}")
    name, blob = parts
    _check_name(name)
    raw = b64decode_strict(blob)
    if len(raw) < 5:
        raise NoteError("signature too short")
    return Signature(name, raw[:4], raw[4:])


def sign_note(text: str, signer: Signer) -> str:
    """A signed note with one Ed25519 signature."""
    if not text.endswith("\n") or _has_control(text):
        raise NoteError("note text must end in newline and hold no control characters")
    return text + "\n" + signer.signature_line(text)


def open_note(data: str | bytes, verifiers: list[Verifier]) -> Note:
    """Parse and verify: at least one known signature must verify."""
    note = Note.parse(data)
    if not note.verified_by(verifiers):
        raise NoteError("note has no verified signature from a known key")
    return note
