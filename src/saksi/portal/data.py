"""What the pages read: the published documents (the same bytes the API
serves), the election index, the store's document rows and the log's
checkpoint. Nothing here recomputes a figure."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgspec

from saksi.election import Election
from saksi.election.model import Region
from saksi.errors import SaksiError
from saksi.ingest.outcome import Published
from saksi.store import Store
from saksi.store.base import DocumentRow, KeyRow


class Source(Protocol):
    """What the API's per-worker state offers (``saksi.api.app._State``)."""

    @property
    def election(self) -> Election: ...
    @property
    def store(self) -> Store: ...
    async def published(self, kind: str, key: str) -> Published | None: ...


@dataclass(frozen=True)
class Signature:
    name: str
    keyid: str  # 8 hex digits
    cosigned_at: int | None  # cosignature/v1 timestamp (witnesses), None for the log


@dataclass(frozen=True)
class CheckpointView:
    text: str
    origin: str
    size: int
    root: str  # base64, as in the note
    root_hex: str
    signatures: tuple[Signature, ...]
    published_at: str  # ISO 8601 UTC of the file's last write

    @property
    def witnesses(self) -> tuple[Signature, ...]:
        return tuple(s for s in self.signatures if s.cosigned_at is not None)


def parse_checkpoint(text: str, mtime: float = 0.0) -> CheckpointView:
    body, _, sigs = text.partition("\n\n")
    lines = body.split("\n")
    if len(lines) < 3:
        raise ValueError("checkpoint has fewer than three lines")
    origin, size, root = lines[0], int(lines[1]), lines[2]
    out: list[Signature] = []
    for line in sigs.splitlines():
        if not line.startswith("— "):
            continue
        name, _, blob = line[2:].rpartition(" ")
        raw = base64.b64decode(blob)
        stamp = int.from_bytes(raw[4:12], "big") if len(raw) == 4 + 8 + 64 else None
        out.append(Signature(name, raw[:4].hex(), stamp))
    when = dt.datetime.fromtimestamp(mtime, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return CheckpointView(text, origin, size, root, base64.b64decode(root).hex(),
                          tuple(out), when)


class PortalData:
    def __init__(self, source: Source, directory: Path) -> None:
        self.source = source
        self.directory = directory
        self._vkey: str | None = None
        self._index: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def election(self) -> Election:
        return self.source.election

    @property
    def store(self) -> Store:
        return self.source.store

    async def document(self, kind: str, key: str) -> tuple[dict[str, Any], Published] | None:
        doc = await self.source.published(kind, key)
        if doc is None:
            return None
        data: dict[str, Any] = msgspec.json.decode(doc.body)
        return data, doc

    def region(self, code: str) -> Region | None:
        try:
            return self.election.region(code)
        except SaksiError:
            return None

    def chain(self, code: str) -> list[Region]:
        """The regions above ``code`` (national first), ``code`` excluded."""
        out: list[Region] = []
        if len(code) == 13:  # a TPS: its village and everything above
            desa = self.region(code[:10])
            return [*self.chain(code[:10]), desa] if desa is not None else []
        cur = self.region(code)
        while cur is not None and cur.code != "0":
            parent = self.region(cur.parent or "0")
            if parent is None:
                break
            out.insert(0, parent)
            cur = parent
        return out

    # ------------------------------------------------------------ the log
    def checkpoint(self) -> CheckpointView | None:
        path = self.directory / "log" / "checkpoint"
        try:
            text = path.read_text(encoding="utf-8")
            return parse_checkpoint(text, path.stat().st_mtime)
        except (OSError, ValueError):
            return None

    def vkey(self) -> str:
        """The log's verifier key, as the log publishes it in ``log/vkey``.
        Web workers never read the private ``ledger/`` directory."""
        if self._vkey is None:
            from saksi.ledger.log import published_vkey

            self._vkey = published_vkey(self.directory)
        return self._vkey

    def key(self, keyid: str) -> KeyRow | None:
        return self.store.key(keyid)

    def flagged(self, contest: str | None, limit: int, offset: int) -> list[DocumentRow]:
        """Current flagged sheet versions, in log order."""
        return self.store.flagged(contest, limit, offset)

    # ------------------------------------------------------------ search
    def _index_conn(self) -> sqlite3.Connection:
        if self._index is None:
            from saksi.election.store import INDEX_NAME

            uri = (self.directory / INDEX_NAME).resolve().as_uri() + "?mode=ro"
            self._index = sqlite3.connect(uri, uri=True, check_same_thread=False)
        return self._index

    def search(self, query: str, limit: int = 50) -> list[tuple[str, str, str]]:
        """(code, name, level): a TPS code, a region code prefix or a name."""
        q = query.strip()
        if not q:
            return []
        out: list[tuple[str, str, str]] = []
        with self._lock:
            conn = self._index_conn()
            if len(q) == 13 and q.isalnum():
                out += [(str(c), str(n), "tps") for c, n in conn.execute(
                    "SELECT code, name FROM tps WHERE code = ?", (q.upper(),))]
            if q.isalnum() and q[:2].isdigit():
                out += [(str(c), str(n), str(lv)) for c, n, lv in conn.execute(
                    "SELECT code, name, level FROM regions WHERE code = ?", (q.upper(),))]
            pattern = "%" + q.upper().replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            out += [(str(c), str(n), str(lv)) for c, n, lv in conn.execute(
                "SELECT code, name, level FROM regions WHERE UPPER(name) LIKE ? ESCAPE '\\' "
                "AND level IN ('kecamatan', 'desa', 'kabkota', 'provinsi') "
                "ORDER BY LENGTH(name), code LIMIT ?", (pattern, limit))]
        return out[:limit]

    def close(self) -> None:
        if self._index is not None:
            with contextlib.suppress(sqlite3.Error):
                self._index.close()
