"""``saksi tally bench``: how fast the tally applies versions (JSON, never asserted).

Sheets are generated beforehand for a sample of the election's TPS; the
timed part is only ``Tally.apply``: a first pass (first versions: add) and a
second pass of revision-2 versions (supersession: subtract, then add), per
contest, on one core. Snapshot and restore are timed on the final state.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from saksi.election.model import Contest
from saksi.keys.ids import Role
from saksi.tally.counts import counts_of
from saksi.tally.render import region_document
from saksi.tally.shape import NATIONAL, shape_from_election
from saksi.tally.tally import Tally
from saksi.tally.versions import SheetVersion


def _versions(election: Any, tally: Tally, contest: Contest, limit: int,
              start: int) -> tuple[list[SheetVersion], list[SheetVersion]]:
    from saksi.sheets.generate import generate_sheet  # bench only

    first: list[SheetVersion] = []
    second: list[SheetVersion] = []
    index = start
    shape = tally.shape
    for t in election.iter_tps():
        if len(first) >= limit:
            break
        if contest not in shape.tps[t.code].contests:
            continue
        sheet = generate_sheet(election.ballot(t.code, contest), t, seed=1)
        counts = counts_of(sheet, tally.layout(contest, shape.tps[t.code].dapil.get(contest)))
        for out, rev in ((first, 1), (second, 2)):
            out.append(SheetVersion.of(
                msgspec.structs.replace(sheet, revision=rev), counts, index=0,
                leaf_hash="00" * 32, signer="bench", role=Role.DEVICE, flagged=False,
                flags=()))
    # Log indices strictly increase over both passes.
    for v in (*first, *second):
        index += 1
        msgspec.structs.force_setattr(v, "index", index)
    return first, second


def bench(election: Any, sheets: int = 5000) -> dict[str, object]:
    start = time.perf_counter()
    shape = shape_from_election(election)
    shape_s = time.perf_counter() - start
    tally = Tally(shape)
    result: dict[str, object] = {"bench": "tally", "tps": len(shape.tps),
                                 "shape_seconds": round(shape_s, 3)}
    offset = 0
    for contest in (Contest.PPWP, Contest.DPR, Contest.DPD):
        first, second = _versions(election, tally, contest, sheets, offset)
        offset += len(first) + len(second)
        rates = []
        for batch in (first, second):
            # As a service would after loading: the long-lived heap (shape,
            # generated sheets) leaves the collector's generations.
            gc.collect()
            gc.freeze()
            t0 = time.perf_counter()
            for v in batch:
                tally.apply(v)
            rates.append(round(len(batch) / max(time.perf_counter() - t0, 1e-9)))
        result[str(contest)] = {"sheets": len(first), "first_per_s": rates[0],
                                "supersede_per_s": rates[1]}
    t0 = time.perf_counter()
    data = tally.snapshot()
    snap_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    Tally.restore(shape, data)
    restore_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    region_document(tally, Contest.PPWP, NATIONAL)
    render_ms = (time.perf_counter() - t0) * 1000
    gc.unfreeze()
    result.update(gc_frozen_before_each_pass=True, snapshot_bytes=len(data),
                  snapshot_seconds=round(snap_s, 3),
                  restore_seconds=round(restore_s, 3),
                  render_national_ppwp_ms=round(render_ms, 2))
    return result


def run(args: argparse.Namespace) -> int:
    from saksi.election import Election, build_election  # lazy: fast CLI start

    if args.election is not None:
        with Election.open(args.election) as election:
            out = bench(election, args.sheets)
    else:
        with tempfile.TemporaryDirectory(prefix="saksi-tally-bench-") as tmp, \
                build_election(Path(tmp) / "e", scale=args.scale) as election:
            out = bench(election, args.sheets)
    print(json.dumps(out, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    from saksi.tally.commands import configure_bench

    parser = argparse.ArgumentParser(prog="python -m saksi.tally.bench")
    configure_bench(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
