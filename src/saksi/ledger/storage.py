"""Durable file writes: temp file, fsync, rename, fsync the directory."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path, created: set[Path]) -> None:
    """mkdir -p, remembering the parents of new directories (they need an fsync)."""
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            continue
        created.add(d.parent)


def write_file(path: Path, data: bytes, *, mode: int = 0o644, sync_dir: bool = True) -> None:
    """Atomically replace ``path`` with ``data``, durable once this returns."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if sync_dir:
        fsync_dir(path.parent)


def write_many(root: Path, files: dict[str, bytes]) -> None:
    """Write several files under ``root`` durably, fsyncing each directory once."""
    dirs: set[Path] = set()
    created: set[Path] = set()
    for rel, data in files.items():
        path = root / rel
        ensure_dir(path.parent, created)
        write_file(path, data, sync_dir=False)
        dirs.add(path.parent)
    for d in _deepest_first(dirs | created):
        fsync_dir(d)


def _deepest_first(dirs: Iterable[Path]) -> list[Path]:
    return sorted(dirs, key=lambda p: len(p.parts), reverse=True)
