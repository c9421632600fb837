"""Rebuilding a registry from a sequence of log entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from saksi.keys.registry import Registry, Verdict


class EntryLog(Protocol):
    """The part of ``saksi.ledger.Log`` a replay reads."""

    @property
    def size(self) -> int: ...

    def entry(self, index: int) -> bytes: ...


def replay(
    entries: Iterable[bytes],
    *,
    verify: bool = True,
    root_key: bytes | None = None,
    start: int = 0,
) -> tuple[Registry, list[tuple[int, Verdict]]]:
    """A registry fed every entry in order, and the refused control entries."""
    registry = Registry(root_key)
    refused: list[tuple[int, Verdict]] = []
    for index, entry in enumerate(entries, start):
        verdict = registry.observe(index, entry, verify=verify)
        if not verdict.ok:
            refused.append((index, verdict))
    return registry, refused


def log_entries(log: EntryLog) -> Iterable[bytes]:
    for index in range(log.size):
        yield log.entry(index)
