"""The public election index (docs/election-model.md, "On disk"), read with sqlite3.

Everything the verifier needs about the election: which TPS exist, their
register, which contests each holds, its dapil per contest, the ballots, and
the seats per dapil. Read-only; the content hash is recomputed, not trusted.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from saksi.audit.sheet import PARTY_CONTESTS, BallotSpec, TpsInfo

HASHED_TABLES = (
    ("parties", "number"), ("tickets", "number"), ("regions", "code"), ("tps", "code"),
    ("dapil", "code"), ("dapil_region", "contest, region"),
    ("candidates", "dapil, party, number"),
)
COLUMNS = {
    "parties": "number, abbreviation, name, local", "tickets": "number, president, vice_president",
    "regions": "code, parent, level, name", "tps": "code, name, dpt_l, dpt_p",
    "dapil": "code, contest, name, seats", "dapil_region": "contest, region, dapil, position",
    "candidates": "dapil, party, number, name, sex",
}
NATIONAL = "0"


def contests_at(tps: str) -> tuple[str, ...]:
    if tps.startswith("99"):
        return ("ppwp", "dpr", "dpd")
    if tps.startswith("31"):
        return ("ppwp", "dpr", "dpd", "dprd-prov")
    return ("ppwp", "dpr", "dpd", "dprd-prov", "dprd-kabkota")


def chain(tps: str) -> tuple[str, str, str, str, str]:
    """The regions a TPS counts in, deepest first: desa, kecamatan, kab/kota, province, nation."""
    return (tps[:10], tps[:6], tps[:4], tps[:2], NATIONAL)


def index_digest(conn: sqlite3.Connection) -> str:
    digest = hashlib.sha256(b"saksi/election/v1 index\n")
    for table, key in HASHED_TABLES:
        digest.update(f"#{table}\n".encode())
        cur = conn.execute(f"SELECT {COLUMNS[table]} FROM {table} ORDER BY {key}")  # noqa: S608
        while rows := cur.fetchmany(20_000):
            digest.update("".join("\x1f".join(map(str, r)) + "\n" for r in rows).encode())
    return digest.hexdigest()


_UNSEEN = object()


@dataclass
class ElectionIndex:
    """Lookups over ``election.sqlite``, cached per dapil; one per process."""

    path: Path
    conn: sqlite3.Connection
    manifest: dict[str, object]
    tickets: frozenset[int]
    _dapil_regions: dict[str, dict[str, str]] = field(default_factory=dict)
    _ballots: dict[str, BallotSpec] = field(default_factory=dict)
    _tps: dict[str, TpsInfo] = field(default_factory=dict)
    _desas: set[str] = field(default_factory=set)  # code prefixes whose TPS are in _tps
    _specs: dict[tuple[str, str], BallotSpec | None] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path) -> ElectionIndex:
        db = directory / "election.sqlite"
        if not db.is_file():
            raise FileNotFoundError(str(db))
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True,
                               check_same_thread=False)
        manifest = json.loads((directory / "election.json").read_text(encoding="utf-8"))
        tickets = frozenset(int(n) for (n,) in conn.execute("SELECT number FROM tickets"))
        idx = cls(db, conn, manifest, tickets)
        for contest, region, dapil in conn.execute(
                "SELECT contest, region, dapil FROM dapil_region"):
            idx._dapil_regions.setdefault(str(contest), {})[str(region)] = str(dapil)
        return idx

    def tps(self, code: str) -> TpsInfo | None:
        info = self._tps.get(code)
        if info is not None:
            return info
        desa = code[:10]
        if len(code) > len(desa) and desa not in self._desas:
            # a log holds a desa's sheets together: one query loads all its TPS (a national
            # night meets 823k TPS; one query each cost the workers 1 % of their time).
            # Every code in [desa, desa + DEL) starts with desa; a code whose next character
            # is past ASCII is found by the exact query below
            self._desas.add(desa)
            for c, name, dpt_l, dpt_p in self.conn.execute(
                    "SELECT code, name, dpt_l, dpt_p FROM tps WHERE code >= ? AND code < ?",
                    (desa, desa + "\x7f")):
                self._tps.setdefault(str(c), TpsInfo(str(name), int(dpt_l), int(dpt_p)))
            info = self._tps.get(code)
            if info is not None:
                return info
        row = self.conn.execute("SELECT name, dpt_l, dpt_p FROM tps WHERE code = ?",
                                (code,)).fetchone()
        if row is None:
            return None
        info = self._tps[code] = TpsInfo(str(row[0]), int(row[1]), int(row[2]))
        return info

    def dapil_of(self, tps: str, contest: str) -> str | None:
        """The dapil whose region is the longest prefix of the TPS code (None for ppwp)."""
        regions = self._dapil_regions.get(contest, {})
        for n in (10, 6, 4, 2):
            found = regions.get(tps[:n])
            if found is not None:
                return found
        return None

    def dapils_of(self, contest: str, desas: list[str]) -> dict[str, str]:
        """``dapil_of`` for many desas at once (the rule is the same; the answer for the
        levels above a desa is looked up once per kecamatan)."""
        regions = self._dapil_regions.get(contest, {})
        out: dict[str, str] = {}
        above: dict[str, str | None] = {}
        for desa in desas:
            found = regions.get(desa)
            if found is None:
                kecamatan = desa[:6]
                if kecamatan in above:
                    found = above[kecamatan]
                else:
                    found = above[kecamatan] = next(
                        (regions[r] for r in (kecamatan, desa[:4], desa[:2]) if r in regions),
                        None)
            if found is not None:
                out[desa] = found
        return out

    def ballot(self, tps: str, contest: str) -> BallotSpec | None:
        """The ballot of ``contest`` at ``tps`` (None where the TPS does not hold it)."""
        key = (tps[:10], contest)
        spec = self._specs.get(key, _UNSEEN)  # once per sheet: one lookup
        if spec is _UNSEEN:
            spec = self._specs[key] = self._ballot(tps, contest)
        return spec  # type: ignore[return-value]

    def _ballot(self, tps: str, contest: str) -> BallotSpec | None:
        if contest not in contests_at(tps):
            return None
        if contest == "ppwp":  # one ballot nationwide (cached under the contest's name)
            found = self._ballots.get(contest)
            if found is None:
                found = self._ballots[contest] = BallotSpec(contest, sorted(self.tickets))
            return found
        dapil = self.dapil_of(tps, contest)
        if dapil is None:
            return None
        spec = self._ballots.get(dapil)
        if spec is None:
            by: dict[int, list[int]] = {}
            for p, n in self.conn.execute(
                    "SELECT party, number FROM candidates WHERE dapil = ?", (dapil,)):
                by.setdefault(int(p), []).append(int(n))
            spec = self._ballots[dapil] = self._spec(contest, by)
        return spec

    def load_ballots(self) -> None:
        """Every dapil's ballot in one query instead of one per dapil (a national tally
        touches thousands). A dapil named under several contests is left to ``ballot``."""
        contests: dict[str, set[str]] = {}
        for contest, regions in self._dapil_regions.items():
            for dapil in regions.values():
                contests.setdefault(dapil, set()).add(contest)
        rows: dict[str, dict[int, list[int]]] = {}
        for dapil, party, number in self.conn.execute(
                "SELECT dapil, party, number FROM candidates"):
            rows.setdefault(str(dapil), {}).setdefault(int(party), []).append(int(number))
        for dapil, by in rows.items():
            named = contests.get(dapil, set())
            if dapil in self._ballots or len(named) != 1:
                continue
            contest = named.pop()
            self._ballots[dapil] = self._spec(contest, by)

    @staticmethod
    def _spec(contest: str, by: dict[int, list[int]]) -> BallotSpec:
        """The ballot of a dapil from its candidates' (party, number) grouped by party."""
        if contest == "dpd":
            return BallotSpec(contest, sorted(n for ns in by.values() for n in ns))
        parties = sorted(by)
        return BallotSpec(contest, parties, [sorted(by[p]) for p in parties])

    # --- whole-election views for the tally -----------------------------------
    def all_tps(self) -> list[tuple[str, int]]:
        return [(str(c), int(men) + int(women)) for c, men, women in
                self.conn.execute("SELECT code, dpt_l, dpt_p FROM tps ORDER BY code")]

    def dapil_province(self, code: str) -> str:
        """The province a dapil counts in: its lowest domestic province code (overseas
        ``99`` regions count in the province of the dapil they belong to)."""
        provinces = sorted({str(r)[:2] for (r,) in self.conn.execute(
            "SELECT region FROM dapil_region WHERE dapil = ?", (code,))})
        domestic = [p for p in provinces if p != "99"]
        return (domestic or provinces or [""])[0]

    def tps_per_desa(self) -> dict[str, int]:
        return {str(d): int(n) for d, n in self.conn.execute(
            "SELECT substr(code, 1, 10), count(*) FROM tps GROUP BY 1")}

    def dapils(self) -> dict[str, tuple[str, int]]:
        return {str(c): (str(k), int(s)) for c, k, s in
                self.conn.execute("SELECT code, contest, seats FROM dapil")}

    def regions(self) -> dict[str, str]:
        return {str(c): str(p) for c, p in self.conn.execute("SELECT code, parent FROM regions")}

    def party_contests(self) -> tuple[str, ...]:
        return PARTY_CONTESTS

    def digest(self) -> str:
        return index_digest(self.conn)

    def close(self) -> None:
        self.conn.close()
