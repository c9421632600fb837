"""``election.json``: what an election directory holds and a hash that
commits to its index. Written last, so its presence marks a complete build."""

from __future__ import annotations

import msgspec

from saksi.errors import StateError

SCHEMA = "saksi/election/v1"
SCALES = ("kecamatan", "kabkota", "provinsi", "nasional")
SOURCES = ("builtin", "kpu")


class ElectionManifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    schema: str
    seed: int
    scale: str
    region: str  # "0" for the whole country
    source: str
    created_by: str
    # Flat counters, e.g. "tps.domestic", "dpt.total", "dpr.seats" (see summary()).
    counts: dict[str, int]
    index_sha256: str

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise ValueError(f"unsupported schema {self.schema!r}")
        if self.scale not in SCALES or self.source not in SOURCES:
            raise ValueError("unknown scale or source")
        if len(self.index_sha256) != 64 or any(c not in "0123456789abcdef"
                                               for c in self.index_sha256):
            raise ValueError("index_sha256 must be 64 lowercase hex digits")


def encode_manifest(manifest: ElectionManifest) -> bytes:
    return msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n"


def decode_manifest(data: bytes) -> ElectionManifest:
    try:
        return msgspec.json.decode(data, type=ElectionManifest)
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
        raise StateError(f"election.json tidak sah: {exc}",
                         f"election.json is not valid: {exc}") from None
