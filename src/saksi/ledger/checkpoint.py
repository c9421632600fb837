"""Checkpoints (c2sp.org/tlog-checkpoint) and tlog proofs (c2sp.org/tlog-proof)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from saksi.ledger import merkle
from saksi.ledger.note import (
    Note,
    NoteError,
    Signer,
    Verifier,
    b64decode_strict,
    b64encode,
    open_note,
    sign_note,
)

_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_LINES = 64


@dataclass(frozen=True)
class Checkpoint:
    """The note body of a checkpoint: origin, size, root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint origin must be one non-empty line")
        if self.size < 0 or len(self.root) != merkle.HASH_SIZE:
            raise NoteError("bad checkpoint size or root")
        if any(not e or "\n" in e for e in self.extensions):
            raise NoteError("checkpoint extension lines must be non-empty single lines")

    @property
    def text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end in newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint needs origin, size and root lines")
        origin, size, root, *ext = lines
        if not _SIZE_RE.fullmatch(size):
            raise NoteError(f"bad checkpoint size line: {size!r}")
        raw = b64decode_strict(root)
        return cls(origin, int(size), raw, tuple(ext))

    def sign(self, signer: Signer) -> str:
        return sign_note(self.text, signer)


def open_checkpoint(
    data: str | bytes, log: Verifier, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint against the log key (other signatures are kept, unchecked)."""
    note = open_note(data, [log])
    cp = Checkpoint.parse_text(note.text)
    if origin is not None and cp.origin != origin:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not {origin!r}")
    return cp, note


def count_cosignatures(note: Note, witnesses: Sequence[Verifier]) -> list[Verifier]:
    """Witnesses (cosignature keys) with a valid cosignature on ``note``."""
    return note.verified_by([w for w in witnesses])


@dataclass(frozen=True)
class TlogProof:
    """A c2sp.org/tlog-proof: index, inclusion proof and the signed checkpoint."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def render(self) -> str:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(b64encode(h) for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        head, sep, checkpoint = text.partition("\n\n")
        if not sep:
            raise NoteError("tlog-proof has no checkpoint")
        lines = head.split("\n")
        if lines[0] != PROOF_HEADER:
            raise NoteError("not a c2sp.org/tlog-proof@v1")
        i = 1
        extra = None
        if i < len(lines) and lines[i].startswith("extra "):
            extra = b64decode_strict(lines[i][len("extra ") :])
            i += 1
        if i >= len(lines) or not lines[i].startswith("index "):
            raise NoteError("tlog-proof has no index line")
        idx = lines[i][len("index ") :]
        if not _SIZE_RE.fullmatch(idx):
            raise NoteError(f"bad index line: {lines[i]!r}")
        hashes = [b64decode_strict(h) for h in lines[i + 1 :]]
        if len(hashes) > MAX_PROOF_LINES or any(len(h) != merkle.HASH_SIZE for h in hashes):
            raise NoteError("bad inclusion proof lines")
        return cls(int(idx), tuple(hashes), checkpoint, extra)

    def verify(
        self,
        entry: bytes,
        log: Verifier,
        origin: str | None = None,
        witnesses: Sequence[Verifier] = (),
        quorum: int = 0,
    ) -> Checkpoint:
        """Check signature, cosignature quorum and inclusion of ``entry``; NoteError if not."""
        cp, note = open_checkpoint(self.checkpoint, log, origin)
        if quorum and len(count_cosignatures(note, witnesses)) < quorum:
            raise NoteError("not enough witness cosignatures")
        if not merkle.verify_inclusion(
            self.index, cp.size, merkle.leaf_hash(entry), self.proof, cp.root
        ):
            raise NoteError("inclusion proof does not verify")
        return cp
