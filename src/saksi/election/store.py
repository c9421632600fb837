"""The on-disk election: ``election.sqlite`` (the index) and
``election.json`` (the manifest, written last).

The index is read-only once built. Every lookup is one or two indexed
queries, so a TPS or a ballot costs well under a millisecond; an open
``Election`` also keeps bounded caches of TPS, dapil and ballot lookups,
since checking a stream of sheets asks for the same few thousand again and
again.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import cast

from saksi.election.codes import ancestors, is_code
from saksi.election.manifest import ElectionManifest, decode_manifest
from saksi.election.model import (
    DKI_JAKARTA,
    OVERSEAS_PROVINCE,
    Ballot,
    Candidate,
    Contest,
    Dapil,
    Level,
    Party,
    PartyList,
    Region,
    Ticket,
    Tps,
    level_of_code,
)
from saksi.errors import InputError, NotFoundError, StateError

MANIFEST_NAME = "election.json"
INDEX_NAME = "election.sqlite"
NATIONAL = Region("0", "INDONESIA", Level.NASIONAL, "")
# Cache bounds of an open Election: a kab/kota fits entirely; the national
# election (~820k TPS, ~84k desa, ~2,800 dapil over all contests) keeps its
# working set, and every desa's dapils (one entry per desa, all contests).
TPS_CACHE = 32_768
_DAPIL_CONTESTS = tuple(c.value for c in Contest if c is not Contest.PPWP)
DAPIL_OF_CACHE = 131_072
BALLOT_CACHE = 4_096
# Ballots by (TPS, contest): a sheet's checks and its counts ask for the same
# ballot within moments, so a short memory suffices at any scale.
TPS_BALLOT_CACHE = 16_384
DPD_PARTY = 0  # candidates.party for DPD individuals

SCHEMA_SQL = """
CREATE TABLE parties (number INTEGER PRIMARY KEY, abbreviation TEXT NOT NULL,
                      name TEXT NOT NULL, local INTEGER NOT NULL);
CREATE TABLE tickets (number INTEGER PRIMARY KEY, president TEXT NOT NULL,
                      vice_president TEXT NOT NULL);
CREATE TABLE regions (code TEXT PRIMARY KEY, parent TEXT NOT NULL, level TEXT NOT NULL,
                      name TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tps (code TEXT PRIMARY KEY, name TEXT NOT NULL, dpt_l INTEGER NOT NULL,
                  dpt_p INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE dapil (code TEXT PRIMARY KEY, contest TEXT NOT NULL, name TEXT NOT NULL,
                    seats INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE dapil_region (contest TEXT NOT NULL, region TEXT NOT NULL, dapil TEXT NOT NULL,
                           position INTEGER NOT NULL, PRIMARY KEY (contest, region)) WITHOUT ROWID;
CREATE TABLE candidates (dapil TEXT NOT NULL, party INTEGER NOT NULL, number INTEGER NOT NULL,
                         name TEXT NOT NULL, sex TEXT NOT NULL,
                         PRIMARY KEY (dapil, party, number)) WITHOUT ROWID;
"""
INDEX_SQL = """
CREATE INDEX regions_by_parent ON regions (parent, code);
CREATE INDEX dapil_by_contest ON dapil (contest, code);
CREATE INDEX dapil_region_by_dapil ON dapil_region (dapil, position);
"""
# Tables and their key order: the content hash reads them exactly like this.
HASHED_TABLES = (
    ("parties", "number"), ("tickets", "number"), ("regions", "code"), ("tps", "code"),
    ("dapil", "code"), ("dapil_region", "contest, region"), ("candidates", "dapil, party, number"),
)


def index_sha256(conn: sqlite3.Connection) -> str:
    """SHA-256 over every row of the index in key order, one line per row
    (``table`` header lines, fields joined by U+001F): independent of the
    SQLite file layout, so anyone can recompute it from the rows."""
    digest = hashlib.sha256(b"saksi/election/v1 index\n")
    for table, key in HASHED_TABLES:
        digest.update(f"#{table}\n".encode())
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608 (constants)
        while rows := cursor.fetchmany(20_000):
            digest.update("".join("\x1f".join(map(str, row)) + "\n" for row in rows).encode())
    return digest.hexdigest()


def write_index(
    conn: sqlite3.Connection,
    *,
    parties: Iterable[Party],
    tickets: Iterable[Ticket],
    regions: Iterable[tuple[str, str, str, str]],
    tps: Iterable[tuple[str, str, int, int]],
    dapils: Iterable[Dapil],
    candidates: Iterable[Candidate],
) -> None:
    """Fill an empty index in one transaction (the caller owns the file)."""
    conn.executescript(SCHEMA_SQL)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO parties VALUES (?, ?, ?, ?)",
                     ((p.number, p.abbreviation, p.name, int(p.local)) for p in parties))
    conn.executemany("INSERT INTO tickets VALUES (?, ?, ?)",
                     ((t.number, t.president, t.vice_president) for t in tickets))
    conn.executemany("INSERT INTO regions VALUES (?, ?, ?, ?)", regions)
    conn.executemany("INSERT INTO tps VALUES (?, ?, ?, ?)", tps)
    dapil_list = list(dapils)
    conn.executemany("INSERT INTO dapil VALUES (?, ?, ?, ?)",
                     ((d.code, d.contest.value, d.name, d.seats) for d in dapil_list))
    conn.executemany("INSERT INTO dapil_region VALUES (?, ?, ?, ?)",
                     ((d.contest.value, r, d.code, i) for d in dapil_list
                      for i, r in enumerate(d.regions)))
    conn.executemany("INSERT INTO candidates VALUES (?, ?, ?, ?, ?)",
                     ((c.dapil, DPD_PARTY if c.party is None else c.party, c.number, c.name, c.sex)
                      for c in candidates))
    for statement in INDEX_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("COMMIT")


def count_index(conn: sqlite3.Connection, root: str) -> dict[str, int]:
    """The manifest's counters, computed from the rows written."""
    counts: dict[str, int] = {}
    prefix = "" if root == "0" else root
    for level in (Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN, Level.DESA):
        (counts[f"regions.{level.value}"],) = conn.execute(
            "SELECT count(*) FROM regions WHERE level = ? AND code >= ? AND code < ?",
            (level.value, prefix, prefix + "~")).fetchone()
    for kind, where in (("domestic", "code NOT LIKE '99%'"), ("overseas", "code LIKE '99%'")):
        (counts[f"tps.{kind}"],) = conn.execute(
            f"SELECT count(*) FROM tps WHERE {where}").fetchone()  # noqa: S608 (constants)
    counts["tps.total"] = counts["tps.domestic"] + counts["tps.overseas"]
    total_l, total_p = conn.execute(
        "SELECT coalesce(sum(dpt_l), 0), coalesce(sum(dpt_p), 0) FROM tps").fetchone()
    counts["dpt.l"], counts["dpt.p"], counts["dpt.total"] = total_l, total_p, total_l + total_p
    (counts["dpt.max_tps"],) = conn.execute(
        "SELECT coalesce(max(dpt_l + dpt_p), 0) FROM tps WHERE name NOT LIKE 'POS%'").fetchone()
    (counts["dpt.max_pos"],) = conn.execute(
        "SELECT coalesce(max(dpt_l + dpt_p), 0) FROM tps WHERE name LIKE 'POS%'").fetchone()
    for contest in Contest:
        dapil_n, seats = conn.execute(
            "SELECT count(*), coalesce(sum(seats), 0) FROM dapil WHERE contest = ?",
            (contest.value,)).fetchone()
        parties, cands = conn.execute(
            "SELECT count(DISTINCT c.party), count(*) FROM candidates c "
            "JOIN dapil d ON d.code = c.dapil WHERE d.contest = ? AND c.party != 0",
            (contest.value,)).fetchone()
        if contest is Contest.DPD:
            (cands,) = conn.execute(
                "SELECT count(*) FROM candidates c JOIN dapil d ON d.code = c.dapil "
                "WHERE d.contest = 'dpd'").fetchone()
        if contest is Contest.PPWP:
            (cands,) = conn.execute("SELECT count(*) FROM tickets").fetchone()
        counts[f"{contest.value}.dapil"] = dapil_n
        counts[f"{contest.value}.seats"] = seats
        counts[f"{contest.value}.parties"] = parties
        counts[f"{contest.value}.candidates"] = cands
    return counts


_OVERSEAS_CONTESTS = (Contest.PPWP, Contest.DPR, Contest.DPD)
_JAKARTA_CONTESTS = (Contest.PPWP, Contest.DPR, Contest.DPD, Contest.DPRD_PROV)
_ALL_CONTESTS = tuple(Contest)


def contests_for(tps_code: str) -> tuple[Contest, ...]:
    """The contests held at a TPS: four in DKI Jakarta, three abroad."""
    if tps_code.startswith(OVERSEAS_PROVINCE):
        return _OVERSEAS_CONTESTS
    if tps_code.startswith(DKI_JAKARTA):
        return _JAKARTA_CONTESTS
    return _ALL_CONTESTS


class Election:
    """A built election, read-only. Open with :meth:`Election.open`."""

    def __init__(self, directory: Path, manifest: ElectionManifest,
                 conn: sqlite3.Connection) -> None:
        self.directory = directory
        self.manifest = manifest
        self._conn = conn
        self._lock = threading.Lock()
        self._dapil_cache: dict[str, Dapil] = {}
        self.tickets: tuple[Ticket, ...] = tuple(
            Ticket(*row) for row in conn.execute("SELECT * FROM tickets ORDER BY number"))
        self.parties: tuple[Party, ...] = tuple(
            Party(n, a, name, bool(local)) for n, a, name, local
            in conn.execute("SELECT * FROM parties ORDER BY number"))
        self._party = {p.number: p for p in self.parties}
        # Bounded, thread-safe memo tables (functools' C LRU). A failed lookup
        # raises and is not cached. Entries are frozen, so sharing them is safe.
        self._tps_cached = functools.lru_cache(maxsize=TPS_CACHE)(self._load_tps)
        self._dapil_codes_cached = functools.lru_cache(maxsize=DAPIL_OF_CACHE)(
            self._load_dapil_codes)
        self._ballot_cached = functools.lru_cache(maxsize=BALLOT_CACHE)(self._load_ballot)
        self._tps_ballot_cached = functools.lru_cache(maxsize=TPS_BALLOT_CACHE)(
            self._tps_ballot)

    @classmethod
    def open(cls, directory: Path) -> Election:
        directory = Path(directory)
        manifest_path, index_path = directory / MANIFEST_NAME, directory / INDEX_NAME
        if not manifest_path.is_file() or not index_path.is_file():
            raise StateError(f"tidak ada pemilu yang lengkap di {directory}",
                             f"no complete election in {directory}")
        manifest = decode_manifest(manifest_path.read_bytes())
        try:
            conn = sqlite3.connect(f"{index_path.resolve().as_uri()}?mode=ro", uri=True,
                                   check_same_thread=False)
            conn.execute("SELECT 1 FROM tps LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise StateError(f"indeks pemilu rusak: {exc}",
                             f"the election index is damaged: {exc}") from None
        return cls(directory, manifest, conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Election:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # --- TPS -------------------------------------------------------------
    def tps(self, code: str) -> Tps:
        if not isinstance(code, str):
            raise _bad_tps_code(code)
        return self._tps_cached(code)  # checks the code on a miss: a cached one is valid

    def _load_tps(self, code: str) -> Tps:
        if not is_code(code, Level.TPS):
            raise _bad_tps_code(code)
        rows = self._query("SELECT code, name, dpt_l, dpt_p FROM tps WHERE code = ?", (code,))
        if not rows:
            raise NotFoundError("tps", code, "TPS tidak ada dalam pemilu ini",
                                "no such TPS in this election")
        c, name, dpt_l, dpt_p = rows[0]
        return Tps(str(c), str(name), int(str(dpt_l)), int(str(dpt_p)))

    def tps_in(self, region_code: str) -> list[Tps]:
        return list(self._iter_tps(self._tps_prefix(region_code)))

    def iter_tps(self) -> Iterator[Tps]:
        return self._iter_tps("")

    def _tps_prefix(self, region_code: str) -> str:
        self.region(region_code)
        return "" if region_code == "0" else region_code

    def _iter_tps(self, prefix: str) -> Iterator[Tps]:
        # A cursor of its own, so that streaming does not hold the lookup lock.
        conn = sqlite3.connect(f"{(self.directory / INDEX_NAME).resolve().as_uri()}?mode=ro",
                               uri=True)
        try:
            cursor = conn.execute(
                "SELECT code, name, dpt_l, dpt_p FROM tps WHERE code >= ? AND code < ? "
                "ORDER BY code", (prefix, prefix + "~"))
            while rows := cursor.fetchmany(10_000):
                for code, name, dpt_l, dpt_p in rows:
                    yield Tps(code, name, dpt_l, dpt_p)
        finally:
            conn.close()

    # --- regions -----------------------------------------------------------
    def region(self, code: str) -> Region:
        if code == "0":
            return NATIONAL
        rows = self._query("SELECT code, name, level, parent FROM regions WHERE code = ?", (code,))
        if not rows:
            raise NotFoundError("region", code, "wilayah tidak ada dalam pemilu ini",
                                "no such region in this election")
        c, name, level, parent = rows[0]
        return Region(str(c), str(name), Level(str(level)), str(parent))

    def children(self, code: str) -> list[Region]:
        self.region(code)
        return [Region(str(c), str(n), Level(str(lv)), str(p)) for c, n, lv, p in self._query(
            "SELECT code, name, level, parent FROM regions WHERE parent = ? ORDER BY code",
            (code,))]

    # --- contests, dapil, ballots -----------------------------------------
    def contests_at(self, tps_code: str) -> tuple[Contest, ...]:
        self.tps(tps_code)
        return contests_for(tps_code)

    def _require_contest(self, tps_code: str, contest: Contest) -> None:
        if Contest(contest) not in self.contests_at(tps_code):
            raise NotFoundError("contest", str(contest),
                                f"pemilihan {contest} tidak ada di TPS {tps_code}",
                                f"contest {contest} is not held at TPS {tps_code}")

    def dapil_of(self, tps_code: str, contest: Contest) -> Dapil | None:
        """The TPS's dapil in ``contest`` (None for the presidential contest).

        Raises NotFoundError (field ``contest``) if the contest is not held there."""
        self._require_contest(tps_code, contest)
        if contest is Contest.PPWP:
            return None
        # A dapil is a union of regions down to kecamatan: every TPS of one
        # desa (the first ten characters) is in the same one.
        code = self._dapil_codes_cached(tps_code[:10]).get(Contest(contest))
        if code is None:
            raise StateError(f"TPS {tps_code} tidak masuk dapil {contest} mana pun",
                             f"TPS {tps_code} is in no {contest} dapil")
        return self._dapil(code)

    def _load_dapil_codes(self, desa_code: str) -> dict[Contest, str]:
        """The desa's dapil in each party and DPD contest: for each, the one
        whose region is the nearest ancestor (one query for all contests)."""
        # Both lists named, so that the (contest, region) key serves the lookup.
        rows = self._query(
            "SELECT contest, region, dapil FROM dapil_region "
            "WHERE contest IN (?, ?, ?, ?) AND region IN (?, ?, ?, ?)",
            (*_DAPIL_CONTESTS, *ancestors(desa_code)))
        nearest: dict[Contest, tuple[int, str]] = {}
        for contest, region, code in rows:
            c, depth = Contest(str(contest)), len(str(region))
            if depth > nearest.get(c, (-1, ""))[0]:
                nearest[c] = (depth, str(code))
        return {c: code for c, (_, code) in nearest.items()}

    def _dapil(self, code: str) -> Dapil:
        cached = self._dapil_cache.get(code)
        if cached is not None:
            return cached
        rows = self._query("SELECT code, contest, name, seats FROM dapil WHERE code = ?", (code,))
        if not rows:
            raise NotFoundError("dapil", code, "dapil tidak ada dalam pemilu ini",
                                "no such dapil in this election")
        c, contest, name, seats = rows[0]
        regions = tuple(str(r) for (r,) in self._query(
            "SELECT region FROM dapil_region WHERE dapil = ? ORDER BY position", (code,)))
        dapil = Dapil(str(c), Contest(str(contest)), str(name), int(str(seats)), regions)
        self._dapil_cache[code] = dapil
        return dapil

    def dapils(self, contest: Contest) -> list[Dapil]:
        codes = self._query("SELECT code FROM dapil WHERE contest = ? ORDER BY code",
                            (Contest(contest).value,))
        return [self._dapil(str(code)) for (code,) in codes]

    def candidates(self, dapil_code: str) -> list[Candidate]:
        self._dapil(dapil_code)
        # The columns are typed (TEXT, INTEGER): the driver already gives str and
        # int. Converting each field again was most of a cold ballot load, and a
        # national night loads every dapil's ballot in every worker.
        rows = cast("list[tuple[str, int, int, str, str]]", self._query(
            "SELECT dapil, party, number, name, sex FROM candidates WHERE dapil = ? "
            "ORDER BY party, number", (dapil_code,)))
        return [Candidate(d, None if party == DPD_PARTY else party, number, name, sex)
                for d, party, number, name, sex in rows]

    def ballot(self, tps_code: str, contest: Contest) -> Ballot:
        if type(contest) is not Contest:
            contest = Contest(contest)
        if type(tps_code) is not str:  # not a cache key: let ``tps`` refuse it
            return self._tps_ballot(tps_code, contest)
        return self._tps_ballot_cached(tps_code, contest)

    def _tps_ballot(self, tps_code: str, contest: Contest) -> Ballot:
        dapil = self.dapil_of(tps_code, contest)
        if dapil is None:
            return Ballot(tps_code, contest, None, tickets=self.tickets)
        # Everything but ``tps`` depends on the dapil alone: build it once per dapil
        # and share its lists (``dataclasses.replace`` without its per-call introspection).
        shared = self._ballot_cached(contest, dapil.code)
        return Ballot(tps_code, shared.contest, shared.dapil, tickets=shared.tickets,
                      parties=shared.parties, candidates=shared.candidates)

    def _load_ballot(self, contest: Contest, dapil_code: str) -> Ballot:
        dapil = self._dapil(dapil_code)
        candidates = self.candidates(dapil.code)
        tps_code = ""  # filled in per TPS by ``ballot``
        if contest is Contest.DPD:
            return Ballot(tps_code, contest, dapil, candidates=tuple(candidates))
        by_party: dict[int, list[Candidate]] = {}
        for candidate in candidates:
            by_party.setdefault(candidate.party or 0, []).append(candidate)
        lists = tuple(PartyList(self._party[n], tuple(c)) for n, c in sorted(by_party.items()))
        return Ballot(tps_code, contest, dapil, parties=lists)

    # --- summary ------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        m, c = self.manifest, self.manifest.counts
        return {
            "schema": m.schema, "source": m.source, "scale": m.scale, "region": m.region,
            "seed": m.seed, "created_by": m.created_by, "index_sha256": m.index_sha256,
            "regions": {lv.value: c[f"regions.{lv.value}"] for lv in
                        (Level.PROVINSI, Level.KABKOTA, Level.KECAMATAN, Level.DESA)},
            "tps": {k: c[f"tps.{k}"] for k in ("domestic", "overseas", "total")},
            "dpt": {"total": c["dpt.total"], "l": c["dpt.l"], "p": c["dpt.p"],
                    "max_per_tps": c["dpt.max_tps"], "max_per_pos": c["dpt.max_pos"]},
            "contests": {ct.value: {k: c[f"{ct.value}.{k}"] for k in
                                    ("dapil", "seats", "parties", "candidates")}
                         for ct in Contest},
        }


def _bad_tps_code(code: object) -> InputError:
    return InputError("tps", code, "kode TPS harus 13 karakter", "a TPS code has 13 characters")


def region_rows(names: dict[str, str], codes: Iterable[str]) -> Iterator[tuple[str, str, str, str]]:
    for code in codes:
        level = level_of_code(code)
        parent = "0" if level is Level.PROVINSI else ancestors(code)[1]
        yield code, parent, level.value, names[code]
