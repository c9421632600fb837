"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verifiers.

Everything here is pure: no I/O, no clocks.  Proof *generation* is expressed
as a list of leaf ranges whose Merkle Tree Hashes make up the proof
(:func:`inclusion_ranges`, :func:`consistency_ranges`), so the same code
serves an in-memory list of leaf hashes (tests, small trees) and the tiles
on disk (the log), which only needs a way to hash a range.

Every range a proof needs is "right-aligned": either a perfect subtree
(size a power of two, start a multiple of it) or the ragged right edge of
the tree, ``[lo, size)`` with ``lo`` aligned to a power of two at least
``size - lo``.  :func:`split_range` turns such a range into perfect
subtrees, and :func:`fold_right` combines their hashes into the range's
Merkle Tree Hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]


def leaf_hash(entry: bytes) -> bytes:
    """MTH of a single entry: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_pow2_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect binary tree whose bottom row is ``hashes`` (len a power of 2)."""
    row = list(hashes)
    if not row or len(row) & (len(row) - 1):
        raise ValueError("perfect_root needs a power-of-two number of hashes")
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def split_range(lo: int, hi: int) -> list[Range]:
    """Perfect aligned subtrees covering ``[lo, hi)``, left to right, largest first.

    Valid for right-aligned ranges (see module docstring); it is the left-to-right
    binary decomposition of ``hi - lo`` starting at ``lo``.
    """
    if not 0 <= lo < hi:
        raise ValueError(f"empty or negative range [{lo}, {hi})")
    out: list[Range] = []
    n = hi - lo
    start = lo
    for bit in range(n.bit_length() - 1, -1, -1):
        size = 1 << bit
        if n & size:
            if start % size:
                raise ValueError(f"range [{lo}, {hi}) is not right-aligned")
            out.append((start, start + size))
            start += size
    return out


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect-subtree hashes (left to right, decreasing sizes) into one MTH."""
    if not hashes:
        raise ValueError("nothing to fold")
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (any length, including zero)."""
    if not leaves:
        return EMPTY_ROOT
    return fold_right([perfect_root(leaves[a:b]) for a, b in split_range(0, len(leaves))])


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Ranges whose MTHs form PATH(index, D[0:size]), leaf sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} outside tree of size {size}")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_pow2_below(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[Range]:
    """Ranges whose MTHs form PROOF(old, D[0:new]) (RFC 6962 §2.1.2)."""
    if not 0 <= old <= new:
        raise ValueError(f"bad consistency sizes {old} -> {new}")
    if old in (0, new):
        return []
    out: list[Range] = []
    lo, hi, m, complete = 0, new, old, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                out.append((lo, hi))
            break
        k = _largest_pow2_below(n)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    out.reverse()
    return out


RangeHasher = Callable[[int, int], bytes]


def list_hasher(leaves: Sequence[bytes]) -> RangeHasher:
    """A range hasher over an in-memory list of leaf hashes."""

    def mth(lo: int, hi: int) -> bytes:
        return fold_right([perfect_root(leaves[a:b]) for a, b in split_range(lo, hi)])

    return mth


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    n = len(leaves) if size is None else size
    mth = list_hasher(leaves)
    return [mth(a, b) for a, b in inclusion_ranges(index, n)]


def consistency_proof(leaves: Sequence[bytes], old: int, new: int | None = None) -> list[bytes]:
    n = len(leaves) if new is None else new
    mth = list_hasher(leaves)
    return [mth(a, b) for a, b in consistency_ranges(old, n)]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2); ValueError if malformed."""
    if not 0 <= index < size:
        raise ValueError("index outside tree")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if len(p) != HASH_SIZE:
            raise ValueError("proof hash of wrong length")
        if sn == 0:
            raise ValueError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("inclusion proof too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2 consistency proof verification."""
    if not 0 <= old <= new or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
