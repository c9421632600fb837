"""Shared helpers for the ledger tests."""

from __future__ import annotations

from saksi.ledger import merkle


def expected_root(entries: list[bytes]) -> bytes:
    return merkle.root_from_leaves([merkle.leaf_hash(e) for e in entries])
