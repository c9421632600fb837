"""C2SP signed notes, checkpoints, cosignatures, tile paths and RFC 6962 hashing.

From c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature, tlog-tiles and
docs/log-format.md. Pure functions, no I/O.
"""

from __future__ import annotations

import binascii
import hashlib
import struct
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

SIG_ED25519 = 0x01
SIG_COSIGNATURE = 0x04
TILE_HEIGHT = 8
TILE_WIDTH = 256
EMPTY_ROOT = hashlib.sha256(b"").digest()
DASH = "\u2014 "


class FormatError(ValueError):
    """Bytes that do not follow the documented format."""


def b64decode_strict(text: str) -> bytes:
    """Standard padded base64 in its one canonical spelling (RFC 4648 §3.5: zero pad bits)."""
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"bad base64: {text[:40]!r}") from None
    # strict mode refuses stray characters and misplaced padding but not non-zero pad
    # bits: re-encoding the last group settles it without re-encoding everything
    tail = len(raw) % 3 or 3
    if len(text) % 4 or (raw and binascii.b2a_base64(raw[-tail:], newline=False).decode()
                         != text[-4:]):
        raise FormatError(f"non-canonical base64: {text[:40]!r}")
    return raw


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    sig_type: int
    public: bytes

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not parts[0] or " " in parts[0]:
            raise FormatError(f"bad verifier key: {vkey!r}")
        name, hex_id, blob = parts
        raw = b64decode_strict(blob)
        if len(raw) != 33 or raw[0] not in (SIG_ED25519, SIG_COSIGNATURE):
            raise FormatError(f"unsupported verifier key type: {vkey!r}")
        try:
            kid = bytes.fromhex(hex_id)
        except ValueError:
            raise FormatError(f"bad key id in {vkey!r}") from None
        if len(kid) != 4 or kid != key_id(name, raw[0], raw[1:]):
            raise FormatError(f"key id does not match key: {vkey!r}")
        return cls(name, kid, raw[0], raw[1:])


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    blob: bytes  # after the key id


@dataclass(frozen=True)
class Note:
    text: str  # up to and including the final newline of the text
    signatures: tuple[NoteSignature, ...]

    @classmethod
    def parse(cls, data: bytes) -> Note:
        if len(data) > 1 << 20:
            raise FormatError("note larger than 1 MiB")
        try:
            s = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("note is not UTF-8") from None
        if any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in s):
            raise FormatError("control character in note")
        head, sep, tail = s.rpartition("\n\n")
        if not sep or not head or not tail.endswith("\n"):
            raise FormatError("note has no signature block")
        sigs = []
        for line in tail[:-1].split("\n"):
            if not line.startswith(DASH):
                raise FormatError(f"bad signature line: {line[:60]!r}")
            name, _, b64 = line[len(DASH):].partition(" ")
            if not name or "+" in name or not b64 or " " in b64:
                raise FormatError(f"bad signature line: {line[:60]!r}")
            raw = b64decode_strict(b64)
            if len(raw) < 5:
                raise FormatError("signature too short")
            sigs.append(NoteSignature(name, raw[:4], raw[4:]))
        if not sigs or len(sigs) > 100:
            raise FormatError("a note needs 1 to 100 signatures")
        return cls(head + "\n", tuple(sigs))

    def verify(self, key: VerifierKey) -> bool | None:
        """True if ``key`` signed, None if it has no signature here; False if it fails."""
        found = None
        for sig in self.signatures:
            if sig.name != key.name or sig.key_id != key.key_id:
                continue
            if key.sig_type == SIG_ED25519:
                ok = len(sig.blob) == 64 and _ed25519(key.public, self.text.encode(), sig.blob)
            else:
                ok = len(sig.blob) == 72 and _ed25519(key.public, cosigned_message(
                    self.text, struct.unpack(">Q", sig.blob[:8])[0]), sig.blob[8:])
            if not ok:
                return False
            found = True
        return found


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _ed25519(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(public).verify(message, signature)
    except (BadSignatureError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: Note

    @classmethod
    def parse(cls, data: bytes) -> Checkpoint:
        note = Note.parse(data)
        lines = note.text[:-1].split("\n")
        if len(lines) < 3:
            raise FormatError("checkpoint text needs origin, size and root")
        origin, size, root = lines[:3]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise FormatError(f"bad checkpoint size line: {size!r}")
        raw_root = b64decode_strict(root)
        if len(raw_root) != 32:
            raise FormatError("checkpoint root is not 32 bytes")
        return cls(origin, int(size), raw_root, note)


# ------------------------------------------------------------------ hashing
def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def perfect_root(hashes: list[bytes]) -> bytes:
    """Root of a perfect subtree (len a power of two)."""
    level = hashes
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


class Frontier:
    """The right edge of a tree: its perfect subtrees, largest first.

    This is the whole state needed to extend a tree and to prove that a
    later tree extends it (recompute the old root from the same hashes)."""

    __slots__ = ("nodes", "size")

    def __init__(self, nodes: list[tuple[int, bytes]] | None = None) -> None:
        self.nodes: list[tuple[int, bytes]] = list(nodes or [])
        self.size = sum(1 << h for h, _ in self.nodes)

    def append(self, height: int, digest: bytes) -> None:
        if self.size % (1 << height):
            raise ValueError("subtree not aligned")
        self.size += 1 << height
        nodes = self.nodes
        while nodes and nodes[-1][0] == height:
            _, left = nodes.pop()
            digest = node_hash(left, digest)
            height += 1
        nodes.append((height, digest))

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1][1]
        for _, digest in reversed(self.nodes[:-1]):
            acc = node_hash(digest, acc)
        return acc

    def aligned(self, height: int) -> Frontier:
        """The prefix made of subtrees of at least ``height`` (drops the ragged tail)."""
        return Frontier([n for n in self.nodes if n[0] >= height])

    def copy(self) -> Frontier:
        return Frontier(self.nodes)


def tree_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 root by the recursive definition (for tests and small trees)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


# ------------------------------------------------------------------ tiles
def tile_index_path(n: int) -> str:
    digits = f"{n:03d}"
    if len(digits) % 3:
        digits = "0" * (3 - len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, n: int, width: int = TILE_WIDTH) -> str:
    path = f"tile/{level}/{tile_index_path(n)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def tiles_for_size(level: int, size: int) -> tuple[int, int]:
    """(full tiles, width of the partial tile or 0) at ``level`` for a tree of ``size``."""
    span = TILE_WIDTH ** level
    return size // (span * TILE_WIDTH), (size // span) % TILE_WIDTH


_U16 = struct.Struct(">H")


def split_hashes(data: bytes, count: int) -> list[bytes]:
    if len(data) != 32 * count:
        raise FormatError(f"tile of {len(data)} bytes, expected {32 * count}")
    return [data[i:i + 32] for i in range(0, len(data), 32)]


def split_bundle(data: bytes, count: int) -> list[bytes]:
    entries: list[bytes] = []
    pos, end = 0, len(data)
    length = _U16.unpack_from  # per entry, a slice and int.from_bytes cost 50% more
    for _ in range(count):
        if pos + 2 > end:
            raise FormatError(f"bundle ends after {len(entries)} of {count} entries")
        n, = length(data, pos)
        pos += 2
        nxt = pos + n
        if nxt > end:
            raise FormatError(f"bundle ends inside entry {len(entries)}")
        entries.append(data[pos:nxt])
        pos = nxt
    if pos != end:
        raise FormatError(f"{end - pos} bytes after the last entry of the bundle")
    return entries
