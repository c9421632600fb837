"""``saksi bench verify``: entries/s of the full check against the machine's
Ed25519-verify floor measured in the same run on all cores.

The test election is built in a child interpreter with the saksi writer
packages (the verifier itself never imports them)."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nacl.bindings import crypto_sign_open
from nacl.signing import SigningKey

from saksi.audit.envelope import decode_envelope, pae_head
from saksi.audit.scan import read_tile_file
from saksi.audit.tlog import TILE_WIDTH, FormatError, split_bundle

# every TPS enrolled (keys init), sheets of every contest from ``wanted`` TPS spread evenly
# over the code order (0: all), i.e. over every province at national scale
_BUILD = """
import sys
from pathlib import Path
from saksi.cli import main
from saksi.election import Election
from saksi.ingest import Ingestor
from saksi.sheets.generate import generate_sheet
from saksi.sim.signer import SimSigner
d, scale, wanted = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
main(["election", "init", str(d), "--scale", scale, "--seed", "7"])
main(["keys", "init", str(d)])
signer = SimSigner(d)
with Election.open(d) as e, Ingestor.open(d) as ing:
    total = sum(1 for _ in e.iter_tps())
    step = max(1, total // wanted) if wanted else 1
    batch, chosen = [], 0
    for i, t in enumerate(e.iter_tps()):
        if i % step or (wanted and chosen >= wanted):
            continue
        chosen += 1
        for c in e.contests_at(t.code):
            batch.append(signer.device(generate_sheet(e.ballot(t.code, c), t, 7)))
        if len(batch) > 2000:
            ing.submit_many(batch); batch = []
    ing.submit_many(batch)
    print(chosen)
    print(ing.log.vkey)
"""

SCALES = ("kecamatan", "kabkota", "nasional")
NATIONAL_TPS = 20_000  # default sample at national scale (every TPS is still enrolled)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="kecamatan", choices=SCALES)
    parser.add_argument("--tps", type=int, default=None, metavar="N",
                        help="lembar dari N TPS yang tersebar / sheets from N TPS spread over "
                        f"the election (default: all; {NATIONAL_TPS} at national scale)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="pemilu yang sudah ada / an existing ingested election")
    parser.add_argument("--log-vkey", default=None)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--floor-seconds", type=float, default=4.0, metavar="S",
                        help="durasi ukur lantai sebelum & sesudah / how long the floor is "
                        "measured before and after the run (default: 4)")


# distinct signatures the floor cycles through (set before a pool forks). Verifying one
# signature over and over, the floor is too fast, as the branch predictor learns the
# branches of that one signature's variable-time scalar multiplication, which no log's
# entries allow: on the development machine by 8-10 % in alternating runs of 20,000
# verifications (1.69-1.80 against 1.86-2.00 user-s), by 3-5 % in the alternating slices
# of the national night's floors (ADR 0006)
SIGNATURES = 256
_SIGNED: list[list[tuple[bytes, bytes]]] = [[]]


def signed_messages(size: int, count: int = SIGNATURES) -> list[tuple[bytes, bytes]]:
    """``count`` distinct (public key, signature then ``size``-byte message)."""
    out = []
    for _ in range(count):
        sk = SigningKey.generate()
        message = os.urandom(size)
        out.append((bytes(sk.verify_key), sk.sign(message).signature + message))
    return out


def _floor_task(args: tuple[int, float, int]) -> tuple[int, float]:
    """Verifications for ``seconds`` of CPU from the ``first``, cycling through ``count``
    signatures (in rounds of 20: the clock is read between rounds)."""
    first, seconds, count = args
    signed = _SIGNED[0][:count]
    k = len(signed)
    start = time.process_time()
    i = first
    while True:
        for j in range(i, i + 20):
            public, message = signed[j % k]
            crypto_sign_open(message, public)
        i += 20
        cpu = time.process_time() - start
        if cpu >= seconds:
            return i - first, cpu


Floor = tuple[float, float]  # verifications per wall-clock second, per CPU second


def ed25519_floor(workers: int, seconds: float = 4.0, size: int = 1400) -> tuple[Floor, Floor]:
    """Ed25519 verifications (libsodium ``crypto_sign_open`` over ``size``-byte messages)
    on ``workers`` processes: of ``SIGNATURES`` distinct signatures in turn, and (in
    alternate slices of half a second, so both meet the same machine) of one signature
    over and over. Each process verifies for the whole slice: no waits within it."""
    _SIGNED[0] = signed_messages(size)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_floor_task, [(0, 0.05, SIGNATURES)] * workers)  # warm up
        done, cpu, wall = [0, 0], [0.0, 0.0], [0.0, 0.0]
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            for slot, count in enumerate((SIGNATURES, 1)):
                begun = time.perf_counter()
                for n, c in pool.map(_floor_task, [(k * 997, min(0.5, seconds / 2), count)
                                                   for k in range(workers)]):
                    done[slot], cpu[slot] = done[slot] + n, cpu[slot] + c
                wall[slot] += time.perf_counter() - begun
        distinct, one = ((done[i] / wall[i], done[i] / cpu[i]) for i in (0, 1))
        return distinct, one


class FloorSampler:
    """The floor per CPU second sampled *during* the run: one process wakes every
    ``every`` seconds and verifies for ``burst`` CPU seconds, so it meets the machine the
    run meets (other tenants, busy hyperthread siblings, clock changes), which a floor
    measured only before and after can miss on a shared machine. It takes about 2 % of
    one core; its CPU is not the run's (it is reaped after the run's CPU is read)."""

    def __init__(self, size: int, every: float = 5.0, burst: float = 0.2) -> None:
        _SIGNED[0] = signed_messages(size)
        ctx = multiprocessing.get_context("fork")
        self._stop = ctx.Event()
        self._out, theirs = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_sample, args=(self._stop, theirs, every, burst),
                                 daemon=True)
        self._proc.start()
        theirs.close()

    def result(self) -> tuple[int, float]:
        """Verifications and the CPU seconds they took (call after reading the run's CPU)."""
        self._stop.set()
        done, cpu = self._out.recv() if self._out.poll(30) else (0, 0.0)
        self._proc.join()
        return done, cpu


def _sample(stop: Any, out: Any, every: float, burst: float) -> None:
    done, cpu, wait = 0, 0.0, min(every, 0.5)  # a first sample soon: short runs get one
    while not stop.wait(wait):
        wait = every
        n, c = _floor_task((done, burst, SIGNATURES))
        done, cpu = done + n, cpu + c
    out.send((done, cpu))


def _cpu() -> float:
    """CPU seconds of this process and its reaped children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _mean_signed(log: Path, size: int) -> tuple[int, int]:
    """Mean entry size and mean size of the message its signature covers (the PAE of its
    payload), over bundles spread across the log. The floor signs messages of the
    latter size: Ed25519 hashes the whole message, and the entry is about 40 % larger
    (the payload is base64 inside the envelope's JSON)."""
    bundles = (size + TILE_WIDTH - 1) // TILE_WIDTH
    entries = signed = count = 0
    for n in sorted({bundles * k // 16 for k in range(16)} - {bundles}):
        width = min(TILE_WIDTH, size - n * TILE_WIDTH)
        data = read_tile_file(log, "entries", n, width)
        if data is None:
            continue
        try:
            for raw in split_bundle(data, width):
                env = decode_envelope(raw)
                entries += len(raw)
                signed += len(pae_head(env.payload_type, len(env.payload))) + len(env.payload)
                count += 1
        except FormatError:
            continue  # the run names it
    return (entries // count, signed // count) if count else (1400, 1000)


def _size(directory: Path) -> int:
    """The checkpoint's tree size (for sampling entry sizes before the run parses it)."""
    try:
        return int((directory / "log" / "checkpoint").read_text("utf-8").split("\n")[1])
    except (OSError, ValueError, IndexError):
        return 0


def handler(args: argparse.Namespace) -> int:
    from saksi.audit.verify import Options, run

    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="saksi-bench-verify-") as tmp:
        directory, vkey = args.dir, args.log_vkey
        build_seconds = 0.0
        tps: int | None = None
        if directory is None:
            directory = Path(tmp) / "election"
            wanted = args.tps if args.tps is not None else (
                NATIONAL_TPS if args.scale == "nasional" else 0)
            start = time.perf_counter()
            done = subprocess.run(  # noqa: S603 (our own interpreter)
                [sys.executable, "-c", _BUILD, str(directory), args.scale, str(wanted)],
                check=True, capture_output=True, text=True)
            build_seconds = time.perf_counter() - start
            *_, chosen, vkey = done.stdout.strip().splitlines()
            tps = int(chosen)
        # the floor before and after the run: a shared machine's speed drifts
        checkpoint_size = _size(directory)
        entry_size, size = _mean_signed(directory / "log", checkpoint_size)
        before, before_one = ed25519_floor(workers, args.floor_seconds, size)
        sampler = FloorSampler(size)
        cpu, start = _cpu(), time.perf_counter()
        outcome = run(Options(directory / "log", directory, str(directory), vkey=vkey,
                              workers=workers))
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        sampled, sampled_cpu = sampler.result()
        if outcome.report.size != checkpoint_size:  # (a checkpoint unreadable before)
            entry_size, size = _mean_signed(directory / "log", outcome.report.size)
        after, after_one = ed25519_floor(workers, args.floor_seconds, size)
    floor, floor_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    one, one_cpu = (before_one[0] + after_one[0]) / 2, (before_one[1] + after_one[1]) / 2
    entries = outcome.report.entries_checked
    rate = entries / seconds if seconds else 0.0
    rate_cpu = entries / cpu if cpu else 0.0
    during = sampled / sampled_cpu if sampled_cpu else 0.0
    print(json.dumps({
        "bench": "verify", "scale": "dir" if args.dir is not None else args.scale,
        "workers": workers, "entries": entries, "sheets": outcome.report.sheets,
        "controls": outcome.report.controls, "tps_with_sheets": tps,
        "ok": outcome.report.ok, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
        "entries_per_s": round(rate, 1),
        "ed25519_verify_floor_per_s": round(floor, 1),
        "ratio_to_floor": round(rate / floor, 3) if floor else None,
        # the same ratio per CPU second: what the parallel pass reaches when it has the
        # cores to itself (wall-clock figures suffer from other load on a shared machine)
        "entries_per_cpu_s": round(rate_cpu, 1),
        "ed25519_verify_floor_per_cpu_s": round(floor_cpu, 1),
        "floor_before_after_per_cpu_s": [round(before[1], 1), round(after[1], 1)],
        "ratio_to_floor_per_cpu": round(rate_cpu / floor_cpu, 3) if floor_cpu else None,
        # the CPU ratio, less moved by other load than the wall-clock one
        "of_floor": round(rate_cpu / floor_cpu, 3) if floor_cpu else None,
        # the floor per CPU second sampled throughout the run, and the ratio to it: the
        # figure least moved by the machine's drift (docs/verifier.md, Speed)
        "floor_during_run_per_cpu_s": round(during, 1) if during else None,
        "floor_during_run_verifications": sampled,
        "of_floor_during_run": round(rate_cpu / during, 3) if during else None,
        "floor_signatures": SIGNATURES,
        # the floor as measured before session 12, one signature verified over and over
        # (too fast: the branch predictor learns it), and the ratios to it
        "one_signature_floor": {
            "per_s": round(one, 1), "per_cpu_s": round(one_cpu, 1),
            "ratio_to_floor": round(rate / one, 3) if one else None,
            "of_floor": round(rate_cpu / one_cpu, 3) if one_cpu else None},
        "mean_entry_bytes": entry_size,
        "mean_signed_message_bytes": size,
        "build_seconds": round(build_seconds, 2),
    }, indent=2))
    return 0 if outcome.report.ok else 1
