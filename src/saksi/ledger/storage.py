"""Durable file writes: temp file, fsync, rename, fsync the directory."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
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


_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="saksi-fsync")


def write_many(root: Path, files: dict[str, bytes]) -> None:
    """Write several files under ``root`` durably, fsyncing each directory once.

    The fsyncs run in parallel threads (fsync releases the GIL and the
    filesystem journal can commit them together), which is most of the cost
    of a batch.
    """
    dirs: set[Path] = set()
    created: set[Path] = set()
    paths = []
    for rel, data in files.items():
        path = root / rel
        ensure_dir(path.parent, created)
        paths.append((path, data))
        dirs.add(path.parent)
    for f in [_POOL.submit(write_file, p, data, sync_dir=False) for p, data in paths]:
        f.result()
    for f in [_POOL.submit(fsync_dir, d) for d in _deepest_first(dirs | created)]:
        f.result()


def _deepest_first(dirs: Iterable[Path]) -> list[Path]:
    return sorted(dirs, key=lambda p: len(p.parts), reverse=True)
