"""``saksi bench …``: performance figures as JSON (never asserted in tests).

Each benchmark is an entry of :data:`SUBCOMMANDS` (name → help, a function
that adds its options, a handler), added with :func:`add_bench`; later
benches (``ingest``, ``verify``) go in this module the same way. Handlers
import what they measure lazily so ``saksi --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

Configure = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]

SUBCOMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


def add_bench(name: str, help_text: str, configure: Configure, handler: Handler) -> None:
    """Make ``saksi bench NAME`` available (call before the CLI parser is built)."""
    SUBCOMMANDS[name] = (help_text, configure, handler)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("bench", help="ukur kinerja / measure performance (JSON)")
    benches = group.add_subparsers(dest="bench_command", metavar="BENCH", required=True)
    for name, (help_text, configure, handler) in sorted(SUBCOMMANDS.items()):
        parser = benches.add_parser(name, help=help_text)
        configure(parser)
        parser.set_defaults(handler=handler)


# --- bench election -----------------------------------------------------------

_CHILD = """
import sys, time
from pathlib import Path
source, scale, directory, wilayah, tps = sys.argv[1:6]
start = time.perf_counter()
if source == "kpu":
    from saksi.election import import_kpu
    e = import_kpu(Path(directory), wilayah=Path(wilayah), tps=Path(tps), scale=scale)
else:
    from saksi.election import build_election
    e = build_election(Path(directory), scale=scale)
print(time.perf_counter() - start)
"""


def _configure_election(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="nasional",
                        choices=("kecamatan", "kabkota", "provinsi", "nasional"))
    parser.add_argument("--source", default="builtin", choices=("builtin", "kpu"))
    parser.add_argument("--kpu-data", type=Path, default=None, metavar="DIR",
                        help="wilayah.csv.gz + tps.csv.gz (default $SAKSI_KPU_DATA or "
                        "../shared/data/kpu-2024)")
    parser.add_argument("--lookups", type=int, default=2000)


def _bench_election(args: argparse.Namespace) -> int:
    from saksi.election.store import Election
    from saksi.errors import InputError

    data = args.kpu_data or Path(os.environ.get("SAKSI_KPU_DATA", "../shared/data/kpu-2024"))
    if args.source == "kpu" and not (data / "tps.csv.gz").is_file():
        raise InputError("--kpu-data", str(data), "berkas KPU tidak ditemukan",
                         "KPU files not found")
    with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp:
        directory = Path(tmp) / "election"
        wall = time.perf_counter()
        done = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-c", _CHILD, args.source, args.scale, str(directory),
             str(data / "wilayah.csv.gz"), str(data / "tps.csv.gz")],
            check=True, capture_output=True, text=True)
        wall = time.perf_counter() - wall
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with Election.open(directory) as election:
            codes = [t.code for _, t in zip(range(args.lookups), election.iter_tps(), strict=False)]
            step = max(1, len(codes) // 200)
            sample = codes[::step]
            start = time.perf_counter()
            for code in sample:
                election.tps(code)
            tps_ms = (time.perf_counter() - start) * 1000 / max(1, len(sample))
            start = time.perf_counter()
            ballots = 0
            for code in sample:
                for contest in election.contests_at(code):
                    election.ballot(code, contest)
                    ballots += 1
            ballot_ms = (time.perf_counter() - start) * 1000 / max(1, ballots)
            summary = election.summary()
    print(json.dumps({
        "bench": "election", "source": args.source, "scale": args.scale,
        "build_seconds": round(float(done.stdout.strip() or "nan"), 3),
        "wall_seconds": round(wall, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "tps_lookup_ms": round(tps_ms, 4), "ballot_ms": round(ballot_ms, 4),
        "tps": summary["tps"], "dpt": summary["dpt"],
    }, indent=2))
    return 0


add_bench("election", "waktu & memori membangun pemilu / time and memory to build an election",
          _configure_election, _bench_election)


# --- bench ingest (saksi.sim.bench) -------------------------------------------------

def _configure_ingest(parser: argparse.ArgumentParser) -> None:
    from saksi.sim.bench import configure

    configure(parser)


def _bench_ingest(args: argparse.Namespace) -> int:
    from saksi.sim.bench import run

    return run(args)


add_bench("ingest", "lembar/detik dalam proses & lewat HTTP / sheets per second in-process "
          "and over HTTP, against the Ed25519 floor", _configure_ingest, _bench_ingest)
