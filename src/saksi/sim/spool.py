"""A bench's signed requests on disk, written once and read back in order.

A national night is about 4.1 million signed sheets (some 15 GB): more than a
load generator should hold in memory, and about half an hour of two cores to
generate and sign. ``saksi bench ingest`` writes them here as its process pool
produces them, one record per TPS request, and every phase then reads them as
a stream. Under ``--dir`` a later run with the same parameters reuses the file.

Format (version 1, ours): the magic line ``saksi-spool/v1`` and a newline, then
records, each a 4-byte big-endian length and a msgpack array of the TPS's
documents (``saksi.sim.work.Doc``: bytes, leaf hash, TPS, contest, revision,
role, pattern, V.C, V.A, per-choice votes). A spool is complete once renamed
from ``NAME.part`` to ``NAME``; its counts are beside it in ``NAME.json``,
written before the rename.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import msgspec

from saksi.errors import StateError
from saksi.sim.work import Doc

MAGIC = b"saksi-spool/v1\n"
_LENGTH = struct.Struct(">I")


class SpoolInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a complete spool holds."""

    requests: int  # one per TPS: every contest's sheet
    sheets: int


def _info_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def spool_info(path: Path) -> SpoolInfo | None:
    """The counts of a complete spool at ``path``, None if there is none."""
    info = _info_path(path)
    if not path.is_file() or not info.is_file():
        return None
    try:
        return msgspec.json.decode(info.read_bytes(), type=SpoolInfo)
    except msgspec.DecodeError:
        return None


def write_spool(path: Path, requests: Iterable[Sequence[Doc]]) -> SpoolInfo:
    """Write every request (a TPS's documents) in order; complete only at the end."""
    part = path.with_name(path.name + ".part")
    encoder = msgspec.msgpack.Encoder()
    count = sheets = 0
    with part.open("wb") as f:
        f.write(MAGIC)
        for docs in requests:
            data = encoder.encode(list(docs))
            f.write(_LENGTH.pack(len(data)))
            f.write(data)
            count += 1
            sheets += len(docs)
        f.flush()
        os.fsync(f.fileno())
    info = SpoolInfo(count, sheets)
    _info_path(path).write_bytes(msgspec.json.encode(info))
    part.replace(path)
    return info


def read_spool(path: Path) -> Iterator[tuple[Doc, ...]]:
    """The requests of the spool at ``path``, in the order written."""
    decoder = msgspec.msgpack.Decoder(tuple[Doc, ...])
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise StateError(f"{path} bukan spool saksi v1", f"{path} is not a saksi v1 spool")
        while head := f.read(_LENGTH.size):
            size = _LENGTH.unpack(head)[0] if len(head) == _LENGTH.size else -1
            data = f.read(size) if size >= 0 else b""
            if len(data) != size:
                raise StateError(f"spool {path} terpotong", f"spool {path} is truncated")
            try:
                yield decoder.decode(data)
            except msgspec.DecodeError as exc:
                raise StateError(f"spool {path} rusak: {exc}",
                                 f"spool {path} is damaged: {exc}") from None


__all__ = ["MAGIC", "SpoolInfo", "read_spool", "spool_info", "write_spool"]
