"""Bulk downloads: one contest at one level, streamed as CSV or JSON.

Region levels come from the published region documents (the same figures the
API shows, as of the same log position); the ``tps`` level lists every current
sheet version from the database. CSV is long-form — one row per (unit,
choice) — so that contests with different choice lists share one layout.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import msgspec

from saksi.election import Election
from saksi.election.model import Contest, Level, Region
from saksi.keys import envelope as env
from saksi.sheets.canonical import decode_canonical
from saksi.store import Store

LEVELS = ("nasional", "provinsi", "kabkota", "kecamatan", "desa", "tps")
CSV_HEADER = ("code", "name", "level", "as_of_index", "status", "sheets_expected",
              "sheets_in", "sheets_counted", "sheets_flagged", "dpt", "voters", "valid",
              "invalid", "total", "choice", "choice_name", "votes")


def _regions_at(election: Election, level: str) -> Iterator[Region]:
    if level == "nasional":
        yield Region("0", "INDONESIA", Level.NASIONAL, "")
        return
    frontier = ["0"]
    while frontier:
        code = frontier.pop(0)
        for child in election.children(code):
            if child.level == level:
                yield child
            elif child.level is not Level.DESA:
                frontier.append(child.code)


def _region_records(election: Election, store: Store, contest: Contest, level: str
                    ) -> Iterator[dict[str, Any]]:
    for region in _regions_at(election, level):
        doc = store.published("region", f"{contest}/{region.code}")
        if doc is None:
            continue  # the contest is not held there
        d = msgspec.json.decode(doc.body)
        p, t = d["progress"], d["totals"]
        yield {"code": region.code, "name": region.name, "level": level,
               "as_of_index": d["as_of_index"], "status": "", **{
                   k: p[k] for k in ("sheets_expected", "sheets_in", "sheets_counted",
                                     "sheets_flagged")},
               **{k: t[k] for k in ("dpt", "voters", "valid", "invalid", "total")},
               "choices": [{"number": c["number"], "name": c["name"], "votes": c["votes"]}
                           for c in d["choices"]]}


def _tps_records(store: Store, contest: Contest) -> Iterator[dict[str, Any]]:
    for row in store.iter_sheets(str(contest)):
        if row.superseded_by is not None:
            continue
        sheet = decode_canonical(env.decode(row.entry).payload)
        v = sheet.votes
        entries = v.tickets or v.candidates
        choices = ([{"number": e.number, "name": "", "votes": e.votes} for e in entries]
                   or [{"number": p.number, "name": "", "votes": p.total} for p in v.parties])
        yield {"code": sheet.tps, "name": "", "level": "tps", "as_of_index": row.index,
               "status": row.verdict, "sheets_expected": 1, "sheets_in": 1,
               "sheets_counted": 0 if row.verdict == "flagged" else 1,
               "sheets_flagged": 1 if row.verdict == "flagged" else 0,
               "dpt": sheet.voters.A.J, "voters": sheet.voters.B4.J, "valid": sheet.totals.A,
               "invalid": sheet.totals.B, "total": sheet.totals.C, "choices": choices,
               "index": row.index, "revision": row.revision, "signer": row.signer}


def stream_rows(election: Election, store: Store, contest: Contest, level: str, fmt: str
                ) -> Iterator[bytes]:
    records = (_tps_records(store, contest) if level == "tps"
               else _region_records(election, store, contest, level))
    if fmt == "json":
        yield b"["
        first = True
        for rec in records:
            yield (b"" if first else b",\n") + msgspec.json.encode(rec)
            first = False
        yield b"]\n"
        return
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_HEADER)
    for rec in records:
        base = [rec[k] for k in CSV_HEADER[:14]]
        for c in rec["choices"] or [{"number": "", "name": "", "votes": ""}]:
            out.writerow([*base, c["number"], c["name"], c["votes"]])
        if buf.tell() > 64 * 1024:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()
