"""``saksi bench verify``: entries/s of the full check against the machine's
Ed25519-verify floor measured in the same run on all cores.

The test election is built in a child interpreter with the saksi writer
packages (the verifier itself never imports them)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nacl.signing import SigningKey, VerifyKey

_BUILD = """
import sys
from pathlib import Path
from saksi.cli import main
from saksi.election import Election
from saksi.ingest import Ingestor
from saksi.sheets.generate import generate_sheet
from saksi.sim.signer import SimSigner
d, scale = Path(sys.argv[1]), sys.argv[2]
main(["election", "init", str(d), "--scale", scale, "--seed", "7"])
main(["keys", "init", str(d)])
signer = SimSigner(d)
with Election.open(d) as e, Ingestor.open(d) as ing:
    batch = []
    for t in e.iter_tps():
        for c in e.contests_at(t.code):
            batch.append(signer.device(generate_sheet(e.ballot(t.code, c), t, 7)))
        if len(batch) > 2000:
            ing.submit_many(batch); batch = []
    ing.submit_many(batch)
    print(ing.log.vkey)
"""

SCALES = ("kecamatan", "kabkota")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="kecamatan", choices=SCALES)
    parser.add_argument("--dir", type=Path, default=None,
                        help="pemilu yang sudah ada / an existing ingested election")
    parser.add_argument("--log-vkey", default=None)
    parser.add_argument("--workers", type=int, default=0)


def _floor_task(args: tuple[bytes, bytes, bytes, int]) -> int:
    public, message, sig, n = args
    key = VerifyKey(public)
    for _ in range(n):
        key.verify(message, sig)
    return n


def ed25519_floor(workers: int, seconds: float = 1.5, size: int = 1400) -> float:
    """Verifications per second on ``workers`` processes (PyNaCl, one message size)."""
    sk = SigningKey.generate()
    message = os.urandom(size)
    sig = sk.sign(message).signature
    task = (bytes(sk.verify_key), message, sig, 2000)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_floor_task, [task] * workers)  # warm up
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            done += sum(pool.map(_floor_task, [task] * workers * 2))
        return done / (time.perf_counter() - start)


def handler(args: argparse.Namespace) -> int:
    from saksi.audit.verify import Options, run

    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="saksi-bench-verify-") as tmp:
        directory, vkey = args.dir, args.log_vkey
        build_seconds = 0.0
        if directory is None:
            directory = Path(tmp) / "election"
            start = time.perf_counter()
            done = subprocess.run(  # noqa: S603 (our own interpreter)
                [sys.executable, "-c", _BUILD, str(directory), args.scale],
                check=True, capture_output=True, text=True)
            build_seconds = time.perf_counter() - start
            vkey = done.stdout.strip().splitlines()[-1]
        start = time.perf_counter()
        outcome = run(Options(directory / "log", directory, str(directory), vkey=vkey,
                              workers=workers))
        seconds = time.perf_counter() - start
    floor = ed25519_floor(workers)
    rate = outcome.report.entries_checked / seconds if seconds else 0.0
    print(json.dumps({
        "bench": "verify", "scale": args.scale, "workers": workers,
        "entries": outcome.report.entries_checked, "sheets": outcome.report.sheets,
        "ok": outcome.report.ok, "seconds": round(seconds, 3),
        "entries_per_s": round(rate, 1), "ed25519_verify_floor_per_s": round(floor, 1),
        "ratio_to_floor": round(rate / floor, 3) if floor else None,
        "build_seconds": round(build_seconds, 2),
    }, indent=2))
    return 0 if outcome.report.ok else 1
