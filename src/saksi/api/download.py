"""Bulk downloads: one contest at one level, streamed as CSV or JSON.

Region levels come from the region documents the sequencer renders (the same
figures the API shows), fetched in chunks; the ``tps`` level lists every
current sheet version the database indexes, its bytes read from the log. CSV
is long-form — one row per (unit, choice) — so that contests with different
choice lists share one layout.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any

import msgspec

from saksi.election import Election
from saksi.election.model import Contest, Level, Region
from saksi.ingest.outcome import Published
from saksi.keys import envelope as env
from saksi.sheets.canonical import decode_canonical
from saksi.store import Store

# A log entry's exact bytes by its index (``saksi.ledger.entries``): the
# database indexes sheets but does not keep them.
EntryOf = Callable[[int], bytes]
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


Fetch = Callable[[Sequence[tuple[str, str]]], Awaitable[list[Published | None]]]
CHUNK = 256  # region documents per request to the sequencer


def _region_records(regions: Iterable[tuple[Region, Published | None]], level: str
                    ) -> Iterator[dict[str, Any]]:
    for region, doc in regions:
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


def _tps_records(store: Store, entry_of: EntryOf, contest: Contest
                 ) -> Iterator[dict[str, Any]]:
    for row in store.iter_sheets(str(contest)):
        if row.superseded_by is not None:
            continue
        sheet = decode_canonical(env.decode(entry_of(row.index)).payload)
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


async def _batches(election: Election, store: Store, contest: Contest, level: str, *,
                   fetch: Fetch, entry_of: EntryOf) -> AsyncIterator[list[dict[str, Any]]]:
    if level == "tps":
        batch: list[dict[str, Any]] = []
        for rec in _tps_records(store, entry_of, contest):
            batch.append(rec)
            if len(batch) >= CHUNK:
                yield batch
                batch = []
        yield batch
        return
    regions = list(_regions_at(election, level))
    for start in range(0, len(regions), CHUNK):
        part = regions[start:start + CHUNK]
        docs = await fetch([("region", f"{contest}/{r.code}") for r in part])
        yield list(_region_records(zip(part, docs, strict=True), level))


async def stream_rows(election: Election, store: Store, contest: Contest, level: str,
                      fmt: str, *, fetch: Fetch, entry_of: EntryOf) -> AsyncIterator[bytes]:
    """The download's bytes, in chunks (``fetch`` renders region documents;
    ``entry_of`` reads a sheet's signed bytes from the log by its index)."""
    batches = _batches(election, store, contest, level, fetch=fetch, entry_of=entry_of)
    if fmt == "json":
        yield b"["
        sep = b""
        async for batch in batches:
            parts = []
            for rec in batch:
                parts.append(sep + msgspec.json.encode(rec))
                sep = b",\n"
            if parts:
                yield b"".join(parts)
        yield b"]\n"
        return
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_HEADER)
    async for batch in batches:
        for rec in batch:
            base = [rec[k] for k in CSV_HEADER[:14]]
            for c in rec["choices"] or [{"number": "", "name": "", "votes": ""}]:
                out.writerow([*base, c["number"], c["name"], c["votes"]])
        yield buf.getvalue().encode()
        buf.seek(0)
        buf.truncate()
