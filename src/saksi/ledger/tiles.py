"""c2sp.org/tlog-tiles layout: tile paths, entry bundles, and reading hashes from tiles.

Tile height is fixed at 8 (256 hashes per full tile).  The functions here are
pure except :class:`TileReader`, which reads files under ``DIR/log/``.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from saksi.ledger import merkle

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY = 0xFFFF


def encode_index(n: int) -> str:
    """Tile index as zero-padded 3-digit path elements, all but the last prefixed by ``x``."""
    if n < 0:
        raise ValueError("negative tile index")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(level: int | str, n: int, width: int = TILE_WIDTH) -> str:
    """Relative path (under ``log/``) of tile ``n`` at ``level`` (or ``"entries"``)."""
    if not 0 < width <= TILE_WIDTH:
        raise ValueError(f"bad tile width {width}")
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{encode_index(n)}{suffix}"


def tile_width(level: int, n: int, size: int) -> int:
    """Width of tile ``n`` at ``level`` in a tree of ``size`` (0 if it does not exist)."""
    count = size >> (TILE_HEIGHT * level)  # hashes at this level
    full = count // TILE_WIDTH
    if n < full:
        return TILE_WIDTH
    if n == full:
        return count % TILE_WIDTH
    return 0


def tiles_for_size(size: int) -> list[tuple[int, int, int]]:
    """Every (level, index, width) tile a tree of ``size`` has."""
    out = []
    level = 0
    while (count := size >> (TILE_HEIGHT * level)) > 0:
        for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            out.append((level, n, tile_width(level, n, size)))
        level += 1
    return out


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY:
            raise ValueError(f"entry of {len(e)} bytes exceeds 65535")
        out += struct.pack(">H", len(e))
        out += e
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    out = []
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError("truncated entry bundle")
        (n,) = struct.unpack_from(">H", data, i)
        i += 2
        if i + n > len(data):
            raise ValueError("truncated entry bundle")
        out.append(data[i : i + n])
        i += n
    return out


def split_hashes(data: bytes) -> list[bytes]:
    if len(data) % merkle.HASH_SIZE:
        raise ValueError("tile length is not a multiple of 32")
    return [data[i : i + 32] for i in range(0, len(data), 32)]


def tile_root(data: bytes) -> bytes:
    """MTH of a full tile's hashes (the hash it contributes to the level above)."""
    return merkle.perfect_root(split_hashes(data))


def root_from_edge(edge: Sequence[Sequence[bytes]]) -> bytes:
    """Tree root from the right-edge (partial) tiles, ``edge[level]`` = its hashes.

    The partial tile at each level holds the hashes of full subtrees not yet
    folded into a full tile; together, top level first, they cover the tree.
    """
    parts: list[bytes] = []
    for level in range(len(edge) - 1, -1, -1):
        hashes = edge[level]
        if hashes:
            parts.extend(
                merkle.perfect_root(hashes[a:b]) for a, b in merkle.split_range(0, len(hashes))
            )
    return merkle.fold_right(parts) if parts else merkle.EMPTY_ROOT


Fetch = Callable[[str], bytes]


class TileReader:
    """Merkle Tree Hashes of arbitrary ranges, read from tiles as of a tree size.

    Tiles are append-only, so the first ``w`` hashes of any later (wider or full)
    version of a tile equal the ``w``-wide partial tile; when a partial tile was
    deleted after its full tile appeared we read the full tile's prefix instead.
    """

    def __init__(self, fetch: Fetch, cache_tiles: int = 64) -> None:
        self._fetch = fetch
        self._cache: OrderedDict[tuple[int | str, int, int], bytes] = OrderedDict()
        self._cache_max = cache_tiles
        self._lock = threading.Lock()

    @classmethod
    def for_dir(cls, log_dir: Path, cache_tiles: int = 64) -> TileReader:
        def fetch(rel: str) -> bytes:
            return (log_dir / rel).read_bytes()

        return cls(fetch, cache_tiles)

    def tile(self, level: int | str, n: int, width: int) -> bytes:
        key = (level, n, width)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        try:
            data = self._fetch(tile_path(level, n, width))
        except FileNotFoundError:
            if width == TILE_WIDTH:
                raise
            data = self._fetch(tile_path(level, n, TILE_WIDTH))
            unit = 32 if level != "entries" else None
            if unit is not None:
                data = data[: width * unit]
            else:
                data = encode_bundle(decode_bundle(data)[:width])
        with self._lock:
            self._cache[key] = data
            if len(self._cache) > self._cache_max:
                self._cache.popitem(last=False)
        return data

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def level_hash(self, level: int, j: int, size: int) -> bytes:
        """MTH of ``D[j*256**level : (j+1)*256**level]`` (must be complete within ``size``)."""
        n, pos = divmod(j, TILE_WIDTH)
        width = tile_width(level, n, size)
        if pos >= width:
            raise ValueError(f"hash {j} at level {level} not in tree of size {size}")
        data = self.tile(level, n, width)
        h = data[pos * 32 : pos * 32 + 32]
        if len(h) != 32:
            raise ValueError("short tile")
        return h

    def subtree(self, lo: int, hi: int, size: int) -> bytes:
        """MTH of a perfect aligned subtree ``[lo, hi)`` within a tree of ``size``."""
        span = hi - lo
        height = span.bit_length() - 1
        level, inner = divmod(height, TILE_HEIGHT)
        unit = 1 << (TILE_HEIGHT * level)
        first = lo // unit
        hashes = [self.level_hash(level, first + i, size) for i in range(1 << inner)]
        return merkle.perfect_root(hashes)

    def range_hash(self, lo: int, hi: int, size: int) -> bytes:
        return merkle.fold_right([self.subtree(a, b, size) for a, b in merkle.split_range(lo, hi)])

    def hasher(self, size: int) -> merkle.RangeHasher:
        return lambda lo, hi: self.range_hash(lo, hi, size)

    def root(self, size: int) -> bytes:
        return merkle.EMPTY_ROOT if size == 0 else self.range_hash(0, size, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return [self.range_hash(a, b, size) for a, b in merkle.inclusion_ranges(index, size)]

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        return [self.range_hash(a, b, new) for a, b in merkle.consistency_ranges(old, new)]

    def entry(self, index: int, size: int) -> bytes:
        n, pos = divmod(index, TILE_WIDTH)
        width = tile_width(0, n, size)
        if pos >= width:
            raise ValueError(f"entry {index} not in tree of size {size}")
        entries = decode_bundle(self.tile("entries", n, width))
        if len(entries) != width:
            raise ValueError("entry bundle has the wrong number of entries")
        return entries[pos]

    def entries(self, start: int, end: int, size: int) -> Iterator[bytes]:
        """Entries ``[start, end)`` in order, one bundle read per 256 entries
        (a replay of a national log must not decode a bundle per entry)."""
        if not 0 <= start <= end <= size:
            raise ValueError(f"range [{start}, {end}) not in tree of size {size}")
        index = start
        while index < end:
            n, pos = divmod(index, TILE_WIDTH)
            width = tile_width(0, n, size)
            bundle = decode_bundle(self._fetch_uncached("entries", n, width))
            if len(bundle) != width:
                raise ValueError("entry bundle has the wrong number of entries")
            stop = min(width, pos + end - index)
            yield from bundle[pos:stop]
            index += stop - pos

    def _fetch_uncached(self, level: int | str, n: int, width: int) -> bytes:
        # Streaming reads bypass the LRU so a replay does not evict the
        # right-edge tiles that proofs keep using.
        try:
            return self._fetch(tile_path(level, n, width))
        except FileNotFoundError:
            if width == TILE_WIDTH:
                raise
            full = self._fetch(tile_path(level, n, TILE_WIDTH))
            return encode_bundle(decode_bundle(full)[:width])

