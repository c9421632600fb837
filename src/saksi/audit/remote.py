"""URL mode: copy the public log files a checkpoint implies into a temporary
directory, then verify that copy like a directory (the files are immutable,
so a copy verified is what the server published)."""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import httpx

from saksi.audit.tlog import TILE_WIDTH, Checkpoint, FormatError, tile_path, tiles_for_size
from saksi.errors import InputError


class Mirror:
    def __init__(self, url: str, election: Path | None) -> None:
        self.url = url.rstrip("/")
        self.tmp = Path(tempfile.mkdtemp(prefix="saksi-verify-"))
        self.log_dir = self.tmp / "log"
        self.log_dir.mkdir()
        self.election_dir = election or self.tmp
        self.http = httpx.Client(base_url=self.url, timeout=30.0)
        self._fetch_election = election is None

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def get(self, path: str) -> bytes | None:
        try:
            r = self.http.get(path)
        except httpx.HTTPError as exc:
            raise InputError("SOURCE", self.url, "layanan tidak dapat dihubungi",
                             f"service unreachable: {exc}") from None
        return r.content if r.status_code == 200 else None

    def fetch_log(self, since: int = 0) -> Checkpoint | None:
        if self._fetch_election:
            for name in ("election.json", "election.sqlite", "keys/public.json", "log/vkey"):
                body = self.get("/" + name)
                if body is not None:
                    (self.tmp / name).parent.mkdir(parents=True, exist_ok=True)
                    (self.tmp / name).write_bytes(body)
        raw = self.get("/log/checkpoint")
        if raw is None:
            return None
        (self.log_dir / "checkpoint").write_bytes(raw)
        try:
            cp = Checkpoint.parse(raw)
        except FormatError:
            return None
        paths = needed_paths(since, cp.size)
        with ThreadPoolExecutor(8) as pool:
            for path, body in zip(paths, pool.map(self._fetch_tile, paths), strict=True):
                if body is not None:
                    target = self.log_dir / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(body)
        return cp

    def _fetch_tile(self, path: str) -> bytes | None:
        body = self.get("/log/" + path)
        if body is None and ".p/" in path:  # a partial removed once the full tile exists
            return None
        return body


def needed_paths(since: int, size: int) -> list[str]:
    """Tiles and bundles a verifier reads to go from ``since`` to ``size``."""
    out: list[str] = []
    first = since // TILE_WIDTH
    full, width = tiles_for_size(0, size)
    for n in range(first, full + (1 if width else 0)):
        w = TILE_WIDTH if n < full else width
        out += [tile_path("entries", n, w), tile_path(0, n, w)]
        if w != TILE_WIDTH:
            out += [tile_path("entries", n), tile_path(0, n)]
    level = 1
    while True:
        full, width = tiles_for_size(level, size)
        if not full and not width:
            return out
        first //= TILE_WIDTH
        for n in range(first, full + (1 if width else 0)):
            out.append(tile_path(level, n, TILE_WIDTH if n < full else width))
            if n >= full:
                out.append(tile_path(level, n))
        level += 1
