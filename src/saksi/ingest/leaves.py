"""Which leaf hashes the index may hold: a Bloom filter in front of the database.

Idempotence asks, for every submitted document, whether its leaf hash is
already logged. Nearly every document of a night is new, and at national
scale each such question was a probe into a unique index of millions of
random keys: about 45 µs a document (session 15, 931,000 documents). The
filter answers "certainly not" for almost all of them without a lookup.

It never answers "no" for a hash it was given (no false negatives); a "maybe"
is looked up (a sheet in its slot's history, a control document in the
store's index of them). A leaf hash is SHA-256 output, so its bits are
already uniform: the ``HASHES`` bit positions are taken from its first hex
digits instead of hashing again. Sized for the election's expected documents
at ``BITS_PER_DOCUMENT``, it answers "maybe" for about 1 % of new hashes when
full (more, gracefully, beyond).
"""

from __future__ import annotations

from collections.abc import Iterable

HASHES = 5
BITS_PER_DOCUMENT = 10
MIN_BITS_LOG2 = 16
MAX_BITS_LOG2 = 32  # 512 MiB: a position is a 32-bit slice of the hash


class LeafFilter:
    """A Bloom filter over hex leaf hashes, of ``2**bits_log2`` bits."""

    def __init__(self, expected: int) -> None:
        want = max(1, expected) * BITS_PER_DOCUMENT
        self.bits_log2 = min(MAX_BITS_LOG2, max(MIN_BITS_LOG2, want.bit_length()))
        self._mask = (1 << self.bits_log2) - 1
        self._bits = bytearray(1 << (self.bits_log2 - 3))
        self.count = 0

    def _positions(self, leaf: str) -> list[int]:
        x = int(leaf[:HASHES * 8], 16)  # HASHES slices of 32 bits
        mask = self._mask
        return [(x >> (32 * i)) & mask for i in range(HASHES)]

    def add(self, leaf: str) -> None:
        self.update((leaf,))

    def update(self, leaves: Iterable[str]) -> None:
        # One loop, no call per leaf: a restart adds every indexed document
        # (~5 million after a national night).
        bits, mask, n = self._bits, self._mask, 0
        for leaf in leaves:
            x = int(leaf[:HASHES * 8], 16)
            for _ in range(HASHES):
                p = x & mask
                bits[p >> 3] |= 1 << (p & 7)
                x >>= 32
            n += 1
        self.count += n

    def may_contain(self, leaf: str) -> bool:
        """False only for a hash never added (and anything not hex: "maybe")."""
        try:
            positions = self._positions(leaf)
        except ValueError:
            return True
        bits = self._bits
        return all(bits[p >> 3] & (1 << (p & 7)) for p in positions)


__all__ = ["LeafFilter"]
