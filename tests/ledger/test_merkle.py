"""RFC 6962 hashing and proofs, checked against a naive recursive tree written here."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.ledger import merkle


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, straight from the definition (leaves are entries)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_consistency(m: int, d: list[bytes]) -> list[bytes]:
    return [] if m in (0, len(d)) else naive_subproof(m, d, True)


def entries(n: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(n)]


CACHE: dict[int, tuple[list[bytes], list[bytes]]] = {}


def tree(n: int) -> tuple[list[bytes], list[bytes]]:
    if n not in CACHE:
        d = entries(n)
        CACHE[n] = (d, [merkle.leaf_hash(e) for e in d])
    return CACHE[n]


def test_hash_domain_separation() -> None:
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        merkle.node_hash(b"l" * 32, b"r" * 32)
        == hashlib.sha256(b"\x01" + b"l" * 32 + b"r" * 32).digest()
    )
    assert merkle.root_from_leaves([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", range(0, 70))
def test_small_trees_exhaustively(n: int) -> None:
    d, leaves = tree(n)
    root = merkle.root_from_leaves(leaves)
    assert root == naive_mth(d)
    for i in range(n):
        proof = merkle.inclusion_proof(leaves, i)
        assert proof == naive_path(i, d)
        assert merkle.verify_inclusion(i, n, leaves[i], proof, root)
        assert not merkle.verify_inclusion(i, n, merkle.leaf_hash(b"other"), proof, root)
        if n > 1:
            assert not merkle.verify_inclusion((i + 1) % n, n, leaves[i], proof, root)
    for m in range(0, n + 1):
        proof = merkle.consistency_proof(leaves, m)
        assert proof == naive_consistency(m, d)
        old_root = merkle.root_from_leaves(leaves[:m])
        assert merkle.verify_consistency(m, n, old_root, root, proof)
        if 0 < m < n:
            assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"x"), root, proof)
            assert not merkle.verify_consistency(m, n, old_root, merkle.leaf_hash(b"x"), proof)
            assert not merkle.verify_consistency(m, n, old_root, root, proof[:-1])
            assert not merkle.verify_consistency(m, n, old_root, root, [*proof, proof[0]])


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 400).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(0, n))
    )
)
def test_sampled_larger_trees(args: tuple[int, int, int]) -> None:
    n, i, m = args
    d, leaves = tree(n)
    root = naive_mth(d)
    assert merkle.root_from_leaves(leaves) == root
    proof = merkle.inclusion_proof(leaves, i)
    assert proof == naive_path(i, d)
    assert merkle.verify_inclusion(i, n, leaves[i], proof, root)
    cproof = merkle.consistency_proof(leaves, m)
    assert cproof == naive_consistency(m, d)
    assert merkle.verify_consistency(m, n, naive_mth(d[:m]), root, cproof)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.integers(0, 2**16),
    st.integers(0, 255),
)
def test_any_single_bit_flip_in_a_proof_fails(args: tuple[int, int], pos: int, flip: int) -> None:
    n, i = args
    _, leaves = tree(n)
    root = merkle.root_from_leaves(leaves)
    proof = merkle.inclusion_proof(leaves, i)
    if not proof:
        return
    j = pos % len(proof)
    b = pos % 32
    bad = bytearray(proof[j])
    bad[b] ^= (flip % 255) + 1
    mutated = [*proof[:j], bytes(bad), *proof[j + 1 :]]
    assert not merkle.verify_inclusion(i, n, leaves[i], mutated, root)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))),
    st.integers(0, 2**16),
)
def test_consistency_flip_fails(args: tuple[int, int], pos: int) -> None:
    n, m = args
    _, leaves = tree(n)
    proof = merkle.consistency_proof(leaves, m)
    if not proof:
        return
    j = pos % len(proof)
    bad = bytearray(proof[j])
    bad[pos % 32] ^= 1
    mutated = [*proof[:j], bytes(bad), *proof[j + 1 :]]
    assert not merkle.verify_consistency(
        m, n, merkle.root_from_leaves(leaves[:m]), merkle.root_from_leaves(leaves), mutated
    )


def test_malformed_inputs_are_rejected_not_crashing() -> None:
    _, leaves = tree(10)
    root = merkle.root_from_leaves(leaves)
    proof = merkle.inclusion_proof(leaves, 3)
    assert not merkle.verify_inclusion(10, 10, leaves[3], proof, root)
    assert not merkle.verify_inclusion(-1, 10, leaves[3], proof, root)
    assert not merkle.verify_inclusion(3, 10, leaves[3], [p[:31] for p in proof], root)
    assert not merkle.verify_consistency(5, 4, root, root, [])
    assert not merkle.verify_consistency(0, 4, merkle.EMPTY_ROOT, root, [root])
    assert merkle.verify_consistency(4, 4, root, root, [])
    assert not merkle.verify_consistency(4, 4, root, root, [root])
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        merkle.split_range(3, 7)  # [3, 7) is not right-aligned


@given(st.integers(0, 2**40), st.integers(1, 2**20))
def test_split_range_covers_aligned_ranges(lo_mult: int, n: int) -> None:
    align = 1 << n.bit_length()
    lo = (lo_mult % 1024) * align
    parts = merkle.split_range(lo, lo + n)
    assert parts[0][0] == lo and parts[-1][1] == lo + n
    for (_, b), (c, _) in itertools.pairwise(parts):
        assert b == c
    for a, b in parts:
        size = b - a
        assert size & (size - 1) == 0 and a % size == 0
