"""Full verification of a tiled log from its bytes: every entry, every tile, the checkpoint.

:func:`verify_tile_set` is pure (it takes the files as a mapping of relative
path to bytes); :func:`verify_tiles` reads them from ``DIR/log``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from saksi.ledger import merkle
from saksi.ledger.checkpoint import Checkpoint, open_checkpoint
from saksi.ledger.note import NoteError, Verifier
from saksi.ledger.tiles import (
    TILE_WIDTH,
    decode_bundle,
    root_from_edge,
    split_hashes,
    tile_path,
    tiles_for_size,
)


class TileVerificationError(ValueError):
    """The tiles, bundles or checkpoint of a log do not verify."""


def needed_files(size: int) -> list[str]:
    """Relative paths a log of ``size`` must serve (besides ``checkpoint``)."""
    out = []
    for level, n, w in tiles_for_size(size):
        out.append(tile_path(level, n, w))
        if level == 0:
            out.append(tile_path("entries", n, w))
    return out


def verify_tile_set(files: Mapping[str, bytes], vkey: str, origin: str | None = None) -> Checkpoint:
    """Check the checkpoint signature, every bundle against its tile, every tile against
    the level above, and the root; return the checkpoint or raise TileVerificationError."""
    try:
        cp, _ = open_checkpoint(files["checkpoint"], Verifier.parse(vkey), origin)
    except (KeyError, NoteError) as exc:
        raise TileVerificationError(f"checkpoint: {exc}") from exc
    size = cp.size
    tiles: dict[tuple[int, int], list[bytes]] = {}
    try:
        for level, n, w in tiles_for_size(size):
            hashes = split_hashes(files[tile_path(level, n, w)])
            if len(hashes) != w:
                raise TileVerificationError(f"tile {level}/{n} has {len(hashes)} hashes, not {w}")
            tiles[(level, n)] = hashes
            if level == 0:
                entries = decode_bundle(files[tile_path("entries", n, w)])
                if [merkle.leaf_hash(e) for e in entries] != hashes:
                    raise TileVerificationError(f"entry bundle {n} does not match tile 0/{n}")
    except KeyError as exc:
        raise TileVerificationError(f"missing file {exc}") from exc
    except ValueError as exc:
        if isinstance(exc, TileVerificationError):
            raise
        raise TileVerificationError(str(exc)) from exc
    edge: list[list[bytes]] = []
    for (level, n), hashes in sorted(tiles.items()):
        if len(hashes) == TILE_WIDTH:
            above = tiles.get((level + 1, n // TILE_WIDTH))
            if above is None or above[n % TILE_WIDTH] != merkle.perfect_root(hashes):
                raise TileVerificationError(f"tile {level}/{n} does not match level {level + 1}")
        else:
            while len(edge) <= level:
                edge.append([])
            edge[level] = hashes
    if root_from_edge(edge) != cp.root:
        raise TileVerificationError("tiles do not hash to the checkpoint root")
    return cp


def verify_tiles(election_dir: Path, vkey: str, origin: str | None = None) -> Checkpoint:
    """Read ``DIR/log`` and verify it completely (see :func:`verify_tile_set`)."""
    log_dir = Path(election_dir) / "log"
    files: dict[str, bytes] = {}
    try:
        files["checkpoint"] = (log_dir / "checkpoint").read_bytes()
    except OSError as exc:
        raise TileVerificationError(f"checkpoint: {exc}") from exc
    try:
        cp = Checkpoint.parse_text(files["checkpoint"].decode("utf-8").split("\n\n")[0] + "\n")
    except (NoteError, UnicodeDecodeError) as exc:
        raise TileVerificationError(f"checkpoint: {exc}") from exc
    for rel in needed_files(cp.size):
        path = log_dir / rel
        if path.exists():  # a missing file is reported by verify_tile_set
            files[rel] = path.read_bytes()
    return verify_tile_set(files, vkey, origin)
