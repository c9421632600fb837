"""The store: documents, keys and service state (the tally snapshot).

Both back ends run the same parameterised SQL; the only differences (the
placeholder style, the binary column type, how a connection is opened and a
transaction begun) live in :class:`_Dialect`. Exactly one process writes (the
sequencer) and it writes each batch in one transaction (:meth:`Store.commit`);
HTTP workers only read (keys, a TPS's documents, flagged lists, downloads).
Published documents are not stored: the sequencer renders them on demand
from its live tally (``saksi.ingest.sequencer``). Nor are the signed bytes:
the log holds them (``saksi.ledger.entries`` reads one by its index), and a
second copy here doubled a national night's disk (4.1 million entries of
about 4.2 KB) and its writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import msgspec

from saksi.errors import InputError, StateError
from saksi.keys.envelope import (
    TYPE_AUTHORITY,
    TYPE_ENROLMENT,
    TYPE_MANIFEST,
    TYPE_REVOCATION,
    TYPE_SHEET,
)
from saksi.keys.ids import Role
from saksi.store.checkpoint import Checkpointer

# 2: the documents table no longer holds the entry's bytes, nor an index by
# TPS (the tally's history names a TPS's documents: ``documents_at`` reads
# them by index). With the index, every commit dirtied about one page of it
# per sheet, TPS codes arriving in no order (one A/B run at national scale:
# about 24 us a sheet of the sequencer's CPU), for a lookup the tally
# answers.
# 3: no index of sheets by leaf hash either. Leaf hashes arrive in random
# order, so that unique index cost every commit a dirtied page per sheet (and
# the checkpoint its copy) in an index that outgrows the page cache at
# national scale (~5 million entries of ~80 bytes). A resent sheet is found
# through its slot in the tally's history, which names every logged version
# of a (TPS, contest) by leaf hash; version precedence refuses the same sheet
# twice anyway. Control documents (one per key, a few a night after the
# enrolments) keep a unique index by leaf hash, partial to them. In SQLite
# the log index is now the table's rowid (one B-tree, not two).
# ``migrate`` rebuilds the documents table of a version-1 or -2 database.
SCHEMA_VERSION = 3
_IN_CHUNK = 500  # values per IN (…) list: under SQLite's default parameter limit


class DocumentRow(msgspec.Struct, frozen=True, gc=False):
    """One accepted log entry, as indexed (control documents too). A struct:
    one is made per sheet sequenced and per row a restart replays, and a
    frozen dataclass's constructor took 5 % of a national restart."""

    index: int
    leaf_hash: str  # hex
    payload_type: str
    verdict: str  # clean | flagged
    flags: bytes  # JSON array of problems, as given in the receipt
    received_at: str  # ISO 8601 UTC, when the sequencer appended it
    tps: str | None = None
    contest: str | None = None
    revision: int | None = None
    rank: int | None = None  # 0 = KPPS device, 1 = PPK correction
    signer: str | None = None
    role: str | None = None
    reason: str | None = None
    superseded_by: int | None = None


@dataclass(frozen=True, slots=True)
class KeyRow:
    keyid: str
    public_key: bytes
    role: str
    scope: str
    valid_from: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class TrustRows:
    """The trust chain as indexed below log index ``before``: what
    ``saksi.keys.registry.Registry.restore`` rebuilds the registry from,
    without reading and parsing one enrolment entry per TPS."""

    before: int
    # (index, entry) of every manifest, authority certificate and revocation.
    control: list[tuple[int, bytes]]
    # (enrolment index, keyid, public key, TPS, keyid of the enrolment's signer
    # where its kab/kota ever had more than one authority key, else None).
    devices: list[tuple[int, str, bytes, str, str | None]]
    enrolments: int  # enrolment entries indexed below ``before``
    enrolment_index_sum: int  # the sum of their indices


@dataclass
class Batch:
    """Everything one sequenced batch changes, committed atomically."""

    applied_size: int
    documents: list[DocumentRow] = field(default_factory=list)
    keys: list[KeyRow] = field(default_factory=list)
    revocations: list[tuple[str, int]] = field(default_factory=list)  # (keyid, index)
    superseded: list[tuple[int, int]] = field(default_factory=list)  # (old index, new index)
    snapshot: bytes | None = None


class _Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def close(self) -> None: ...


_DOC_COLUMNS = (
    "idx, leaf_hash, payload_type, verdict, flags, received_at, tps, contest, "
    "revision, rank, signer, role, reason, superseded_by"
)

# A partial index is used only by a query whose WHERE repeats its condition
# with the same literal (a bound parameter does not qualify), so the sheet
# type is spelled into the SQL: a constant of ours, checked to be plain.
assert set(TYPE_SHEET) <= set("abcdefghijklmnopqrstuvwxyz0123456789./+-")
_NOT_SHEET = f"payload_type <> '{TYPE_SHEET}'"

_DOCUMENTS = """
CREATE TABLE IF NOT EXISTS {table} (
    idx {pk} PRIMARY KEY,
    leaf_hash TEXT NOT NULL,
    payload_type TEXT NOT NULL,
    verdict TEXT NOT NULL,
    flags TEXT NOT NULL,
    received_at TEXT NOT NULL,
    tps TEXT,
    contest TEXT,
    revision BIGINT,
    rank INTEGER,
    signer TEXT,
    role TEXT,
    reason TEXT,
    superseded_by BIGINT
)"""

_DOCUMENT_INDEXES = f"""
CREATE INDEX IF NOT EXISTS documents_type ON documents (payload_type, idx);
CREATE UNIQUE INDEX IF NOT EXISTS documents_control_leaf ON documents (leaf_hash)
    WHERE {_NOT_SHEET}
"""

_OTHER_TABLES = """
CREATE TABLE IF NOT EXISTS keys (
    keyid TEXT PRIMARY KEY,
    public_key {blob} NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE IF NOT EXISTS state (
    name TEXT PRIMARY KEY,
    num BIGINT,
    data {blob}
)
"""


class _Dialect:
    name = "sqlite"
    blob = "BLOB"
    # INTEGER PRIMARY KEY makes the log index SQLite's rowid.
    integer_key = "INTEGER"

    def sql(self, text: str) -> str:
        return text


class _PgDialect(_Dialect):
    name = "postgresql"
    blob = "BYTEA"
    integer_key = "BIGINT"

    def sql(self, text: str) -> str:
        # Our statements contain no literal '?' or '%', so the translation is exact.
        return text.replace("?", "%s")


class Store:
    """One connection to the service database. Not shared between threads
    without the internal lock; each process opens its own."""

    def __init__(self, conn: _Conn, dialect: _Dialect, url: str) -> None:
        self._conn = conn
        self._dialect = dialect
        self._lock = threading.Lock()
        self.url = url
        self.checkpointer: Checkpointer | None = None  # SQLite writer only

    @property
    def backend(self) -> str:
        return self._dialect.name

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            if self.checkpointer is not None:
                self.checkpointer.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def migrate(self) -> None:
        """Create the tables if missing, bring a version-1 or -2 database to
        this schema, refuse one of any other."""
        d = self._dialect
        with self._transaction() as cur:
            for stmt in _OTHER_TABLES.format(blob=d.blob).split(";"):
                if stmt.strip():
                    cur.execute(stmt)
            row = cur.execute(self._q("SELECT num FROM state WHERE name = ?"),
                              ("schema",)).fetchone()
            version = None if row is None else int(row[0])
            if version in (1, 2):
                # Rebuilt rather than altered: SQLite can drop neither a
                # column's UNIQUE nor make an existing key the rowid. The
                # columns of this schema are copied; a version-1 copy of the
                # entry's bytes (the log holds them) and its index by TPS go
                # with the old table.
                cur.execute(_DOCUMENTS.format(table="documents_new", pk=d.integer_key))
                cur.execute(f"INSERT INTO documents_new ({_DOC_COLUMNS}) "  # noqa: S608 (constant column list)
                            f"SELECT {_DOC_COLUMNS} FROM documents")
                cur.execute("DROP TABLE documents")
                cur.execute("ALTER TABLE documents_new RENAME TO documents")
                cur.execute(self._q("UPDATE state SET num = ? WHERE name = ?"),
                            (SCHEMA_VERSION, "schema"))
            elif version is not None and version != SCHEMA_VERSION:
                raise StateError(
                    f"skema basis data versi {version}, diharapkan {SCHEMA_VERSION}",
                    f"database schema version {version}, expected {SCHEMA_VERSION}")
            cur.execute(_DOCUMENTS.format(table="documents", pk=d.integer_key))
            for stmt in _DOCUMENT_INDEXES.split(";"):
                if stmt.strip():
                    cur.execute(stmt)
            if version is None:
                cur.execute(self._q("INSERT INTO state (name, num) VALUES (?, ?)"),
                            ("schema", SCHEMA_VERSION))

    # ------------------------------------------------------------ helpers
    def _q(self, text: str) -> str:
        return self._dialect.sql(text)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return [tuple(r) for r in self._conn.execute(self._q(sql), params).fetchall()]

    def _transaction(self) -> _Tx:
        return _Tx(self)

    # ------------------------------------------------------------ reads
    def key(self, keyid: str) -> KeyRow | None:
        rows = self._rows("SELECT keyid, public_key, role, scope, valid_from, revoked_at "
                          "FROM keys WHERE keyid = ?", (keyid,))
        return _key_row(rows[0]) if rows else None

    def keys(self) -> list[KeyRow]:
        return [_key_row(r) for r in self._rows(
            "SELECT keyid, public_key, role, scope, valid_from, revoked_at FROM keys "
            "ORDER BY valid_from")]

    def document(self, index: int) -> DocumentRow | None:
        rows = self._rows(f"SELECT {_DOC_COLUMNS} FROM documents WHERE idx = ?", (index,))  # noqa: S608 (constant column list)
        return _doc_row(rows[0]) if rows else None

    def control_by_leaf(self, leaf_hashes: Sequence[str]) -> dict[str, DocumentRow]:
        """Control documents (manifest, authority, enrolment, revocation)
        already accepted with these leaf hashes. Sheets are not indexed by leaf
        hash: a resent sheet is found through its (TPS, contest) slot."""
        found: dict[str, DocumentRow] = {}
        unique = list(dict.fromkeys(leaf_hashes))
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = unique[start:start + _IN_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for r in self._rows(f"SELECT {_DOC_COLUMNS} FROM documents "  # noqa: S608 (constant column list and condition, placeholders only)
                                f"WHERE leaf_hash IN ({marks}) AND {_NOT_SHEET}", chunk):
                row = _doc_row(r)
                found[row.leaf_hash] = row
        return found

    def leaf_hashes(self) -> Iterator[str]:
        """The leaf hash of every indexed document (in no particular order)."""
        for (leaf,) in self._rows("SELECT leaf_hash FROM documents"):
            yield str(leaf)

    def documents_at(self, indices: Sequence[int]) -> list[DocumentRow]:
        """The documents at these log indices, in log order (unknown ones left out)."""
        found: list[DocumentRow] = []
        unique = sorted(set(indices))
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = unique[start:start + _IN_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            found.extend(_doc_row(r) for r in self._rows(
                f"SELECT {_DOC_COLUMNS} FROM documents "  # noqa: S608 (constant column list, placeholders only)
                f"WHERE idx IN ({marks}) ORDER BY idx", chunk))
        return found

    def flagged(self, contest: str | None, limit: int, offset: int = 0) -> list[DocumentRow]:
        """Current sheet versions that are flagged (awaiting a correction), in
        log order; ``contest`` None means every contest."""
        return [_doc_row(r) for r in self._rows(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE tps IS NOT NULL "  # noqa: S608 (constant column list)
            "AND superseded_by IS NULL AND verdict = 'flagged' AND (? = '' OR contest = ?) "
            "ORDER BY idx LIMIT ? OFFSET ?", (contest or "", contest or "", limit, offset))]

    def trust_rows(self, before: int, entry: Callable[[int], bytes]) -> TrustRows:
        """What the index holds of the trust chain below log index ``before``
        (at most the applied size), each list in log order; ``entry`` reads a
        control document's bytes from the log (a few hundred of them).

        No snapshot needed across the statements: below the applied size the
        columns read here never change (documents and keys are only inserted;
        ``revoked_at`` is not read, the revocation entries are). A device's
        signer is read from its enrolment document only where the TPS's
        kab/kota ever had two authority keys: elsewhere the chain names it,
        and skipping the lookup into the documents table (one per device)
        saves a third of the time."""
        device_sql = self._q(
            "SELECT k.valid_from, k.keyid, k.public_key, k.scope, "
            "CASE WHEN substr(k.scope, 1, 4) IN "
            "(SELECT a.scope FROM keys a WHERE a.role = ? GROUP BY a.scope "
            "HAVING COUNT(*) > 1) "
            "THEN (SELECT d.signer FROM documents d WHERE d.idx = k.valid_from "
            "AND d.payload_type = ?) END "
            "FROM keys k WHERE k.role = ? AND k.valid_from < ?")
        control_sql = self._q(
            "SELECT idx FROM documents WHERE payload_type IN (?, ?, ?) AND idx < ? "
            "ORDER BY idx")
        enrolments_sql = self._q(
            "SELECT COUNT(*), COALESCE(SUM(idx), 0) FROM documents "
            "WHERE payload_type = ? AND idx < ?")
        with self._lock:
            # Rows as the driver returns them (tuples of int, str, bytes): a
            # copy of ~830,000 of them would cost a fifth of the query.
            devices: list[tuple[int, str, bytes, str, str | None]] = self._conn.execute(
                device_sql, (str(Role.KABKOTA), TYPE_ENROLMENT, str(Role.DEVICE), before),
            ).fetchall()
            control = [int(i) for (i,) in self._conn.execute(
                control_sql, (TYPE_MANIFEST, TYPE_AUTHORITY, TYPE_REVOCATION, before))]
            count, index_sum = self._conn.execute(
                enrolments_sql, (TYPE_ENROLMENT, before)).fetchone()
        # Here, not ORDER BY: the rows come (almost) in order already, which
        # this sort only confirms, where SQLite would sort them all again in a
        # temporary B-tree.
        devices.sort(key=itemgetter(0))
        return TrustRows(before, [(i, entry(i)) for i in control], devices, int(count),
                         int(index_sum))

    def control_indices(self, types: Sequence[str]) -> list[int]:
        marks = ", ".join("?" for _ in types)
        return [int(r[0]) for r in self._rows(
            f"SELECT idx FROM documents WHERE payload_type IN ({marks}) ORDER BY idx",  # noqa: S608
            tuple(types))]

    def current_versions(self) -> Iterator[tuple[str, str, int, int, int]]:
        """(tps, contest, rank, revision, index) of every current sheet version."""
        for tps, contest, rank, revision, idx in self._rows(
                "SELECT tps, contest, rank, revision, idx FROM documents "
                "WHERE tps IS NOT NULL AND superseded_by IS NULL ORDER BY idx"):
            yield str(tps), str(contest), int(rank), int(revision), int(idx)

    def iter_sheets(self, contest: str, prefix: str = "") -> Iterator[DocumentRow]:
        """Every sheet version of a contest (current and superseded), in log order."""
        rows = self._rows(f"SELECT {_DOC_COLUMNS} FROM documents WHERE contest = ? "  # noqa: S608 (constant column list)
                          "AND tps LIKE ? ORDER BY idx", (contest, prefix + "%"))
        for r in rows:
            yield _doc_row(r)

    def sheets_between(self, lo: int, hi: int) -> Iterator[DocumentRow]:
        """Sheet documents with ``lo <= index < hi``, in log order."""
        for r in self._rows(f"SELECT {_DOC_COLUMNS} FROM documents WHERE idx >= ? AND "  # noqa: S608 (constant column list)
                            "idx < ? AND tps IS NOT NULL ORDER BY idx", (lo, hi)):
            yield _doc_row(r)

    def applied_size(self) -> int:
        rows = self._rows("SELECT num FROM state WHERE name = ?", ("applied",))
        return int(rows[0][0]) if rows else 0

    def snapshot(self) -> bytes | None:
        rows = self._rows("SELECT data FROM state WHERE name = ?", ("snapshot",))
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def save_snapshot(self, applied_size: int, data: bytes) -> bool:
        """Store a tally snapshot taken at ``applied_size`` in a transaction of
        its own (a background writer's: the sequencer's batches commit beside
        it), unless the stored one is as recent; True if it was stored."""
        with self._transaction() as cur:
            cur.execute(self._q("INSERT INTO state (name, num, data) VALUES (?, ?, ?) "
                                "ON CONFLICT (name) DO UPDATE SET num = excluded.num, "
                                "data = excluded.data WHERE state.num < excluded.num"),
                        ("snapshot", applied_size, data))
        rows = self._rows("SELECT num FROM state WHERE name = ?", ("snapshot",))
        return bool(rows) and int(rows[0][0]) == applied_size

    def count_documents(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM documents")[0][0])

    # ------------------------------------------------------------ the one write
    def commit(self, batch: Batch) -> None:
        """Apply one sequenced batch atomically. Re-applying rows that exist
        (a log tail replayed after a crash) is harmless."""
        with self._transaction() as cur:
            # executemany: one prepared statement per kind of row (the batch is
            # one transaction either way).
            ins = self._q(f"INSERT INTO documents ({_DOC_COLUMNS}) VALUES "  # noqa: S608 (constant column list)
                          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (idx) DO NOTHING")
            _many(cur, ins, [(d.index, d.leaf_hash, d.payload_type, d.verdict,
                              d.flags.decode(), d.received_at, d.tps, d.contest,
                              d.revision, d.rank, d.signer, d.role, d.reason,
                              d.superseded_by) for d in batch.documents])
            upd = self._q("UPDATE documents SET superseded_by = ? WHERE idx = ?")
            _many(cur, upd, [(new, old) for old, new in batch.superseded])
            kins = self._q("INSERT INTO keys (keyid, public_key, role, scope, valid_from, "
                           "revoked_at) VALUES (?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (keyid) DO NOTHING")
            _many(cur, kins, [(k.keyid, k.public_key, k.role, k.scope, k.valid_from,
                               k.revoked_at) for k in batch.keys])
            rev = self._q("UPDATE keys SET revoked_at = ? WHERE keyid = ?")
            _many(cur, rev, [(index, keyid) for keyid, index in batch.revocations])
            st = self._q("INSERT INTO state (name, num, data) VALUES (?, ?, ?) "
                         "ON CONFLICT (name) DO UPDATE SET num = excluded.num, "
                         "data = excluded.data")
            cur.execute(st, ("applied", batch.applied_size, None))
            if batch.snapshot is not None:
                cur.execute(st, ("snapshot", batch.applied_size, batch.snapshot))


def _many(conn: _Conn, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if isinstance(conn, sqlite3.Connection):
        conn.executemany(sql, rows)
        return
    with conn.cursor() as cur:  # type: ignore[attr-defined]  # psycopg
        cur.executemany(sql, rows)


class _Tx:
    """BEGIN … COMMIT on the store's connection, under its lock."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> _Conn:
        self._store._lock.acquire()
        conn = self._store._conn
        try:
            if self._store._dialect.name == "sqlite":
                conn.execute("BEGIN IMMEDIATE")
            else:
                conn.execute("BEGIN")
        except BaseException:
            self._store._lock.release()
            raise
        return conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._store._conn.execute("COMMIT" if exc is None else "ROLLBACK")
        finally:
            self._store._lock.release()


def _key_row(r: tuple[Any, ...]) -> KeyRow:
    keyid, pk, role, scope, valid_from, revoked = r
    return KeyRow(str(keyid), bytes(pk), str(role), str(scope), int(valid_from),
                  None if revoked is None else int(revoked))


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


def _doc_row(r: tuple[Any, ...]) -> DocumentRow:
    (idx, leaf, ptype, verdict, flags, received, tps, contest, revision, rank,
     signer, role, reason, superseded) = r
    return DocumentRow(int(idx), str(leaf), str(ptype), str(verdict), str(flags).encode(),
                       str(received), _opt_str(tps), _opt_str(contest),
                       _opt_int(revision), _opt_int(rank), _opt_str(signer), _opt_str(role),
                       _opt_str(reason), _opt_int(superseded))


def default_url(directory: Path) -> str:
    return f"sqlite:///{(Path(directory) / 'saksi.sqlite').resolve()}"


def open_store(url: str, *, readonly: bool = False) -> Store:
    """Open (and for the writer, migrate) the store named by ``url``:
    ``sqlite:///ABS/PATH``, a plain file path, or ``postgresql://…``."""
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg
        except ImportError:  # pragma: no cover - dependency missing
            raise StateError("psycopg tidak terpasang", "psycopg is not installed") from None
        try:
            pg = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StateError(f"tidak dapat terhubung ke PostgreSQL: {exc}",
                             f"cannot connect to PostgreSQL: {exc}") from None
        store = Store(pg, _PgDialect(), url)
    else:
        path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
        if not path or path == "/":
            raise InputError("--db", url, "URL basis data tidak sah", "invalid database URL")
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=10.0)
            # WAL: readers never block the single writer. NORMAL: a crash of the
            # process loses nothing committed; a power cut may lose the last
            # commits, which the log tail replay restores (the log is fsynced).
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not readonly:
                # A checkpoint fsyncs the database: the writer never runs one
                # itself (it was a quarter-second stall in one commit of six at
                # national scale); a Checkpointer thread does, beside it.
                conn.execute("PRAGMA wal_autocheckpoint=0")
                # KiB: the hot index pages stay. 256 MiB looked better for the
                # sequencer alone at national scale (164-226 against 296 us a
                # sheet), but under HTTP load it cost more: its process spent 7.7 s
                # in the kernel per 59,443 sheets against 4.4 s (page faults of the
                # larger cache, copied again after each snapshot fork).
                conn.execute("PRAGMA cache_size=-65536")
        except sqlite3.Error as exc:
            raise StateError(f"basis data SQLite tidak dapat dibuka: {exc}",
                             f"cannot open SQLite database {path}: {exc}") from None
        store = Store(conn, _Dialect(), url)
        if not readonly:
            store.checkpointer = Checkpointer(path).start()
    if not readonly:
        store.migrate()
    return store


__all__ = ["Batch", "DocumentRow", "KeyRow", "Store", "TrustRows", "default_url", "open_store"]
