"""``saksi bench ingest``: sheets/s in-process and over HTTP, against the Ed25519 floor.

The TPS' requests (every contest's sheet, signed by the TPS's device) are
prepared once in a process pool and written to a spool (``saksi.sim.spool``),
which every phase reads as a stream: a national night (``--tps 0``, 4.1
million sheets, ~15 GB) does not fit in memory. Under ``--dir`` the election
(built, keys enrolled and indexed) and the spool are kept and reused by a
later run with the same parameters.

1. the floor: Ed25519 verifications per second on all cores (PyNaCl, one
   process per core), measured in the same run on the same envelopes;
2. in-process: the service's own path without HTTP — ``precheck`` (envelope,
   rules, signature) in a process pool, ``Sequencer.begin``/``finish`` in
   batches pipelined as in the server;
3. over HTTP: the same signed sheets, one request per TPS (its five contests),
   against ``saksi serve`` on this machine from ``saksi.sim.loadgen`` (lean
   keep-alive client, retries after 429/503); meanwhile a poller follows the
   national ppwp document (ETag) to time each receipt until the national total
   reflects it, and the server's process tree RSS is sampled; afterwards the
   simulator's check (every receipt in the log, national totals equal the
   accepted sheets);
4. ``GET /api/v1/results/0`` requests/s with pipelined keep-alive connections
   (and ``wrk`` if installed).

Prints one JSON object; nothing is asserted (machines differ).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saksi.sim.loadgen import Answer, hammer, post_all

if TYPE_CHECKING:
    from saksi.sim.work import Doc

# In-process: workers pre-check chunks of CHUNK documents; the sequencer takes
# every chunk already checked, up to BATCH documents, as one batch — the group
# commit of the server (whose batcher takes up to 1024 requests at once).
CHUNK = 64
BATCH = 1024
# Chunks handed to the pool ahead of the sequencer: enough to keep every
# worker busy, few enough that a night's sheets never pile up in memory.
AHEAD = 64
PHASES = ("in-process", "http")
# Written into a --dir's election once it is built, its keys enrolled and
# indexed: a later run of the same scale and region reuses it.
BASE_MARK = "bench-base.json"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", default="kabkota",
                   choices=("kecamatan", "kabkota", "provinsi", "nasional"))
    p.add_argument("--region", default=None)
    p.add_argument("--tps", type=int, default=2000, metavar="N",
                   help="TPS per run (bawaan 2000; 0: semua) / TPS per run (0: all)")
    p.add_argument("--sample", choices=("tps", "desa"), default="tps",
                   help="undian TPS satu per satu, atau desa utuh (seperti satu malam penuh) / "
                        "draw single TPS, or whole desa (as a full night has them)")
    # A national night has ~823,000 devices: hundreds of requests in flight at
    # once is the realistic case (64 leaves the server waiting on round trips).
    p.add_argument("--concurrency", type=int, default=256)
    p.add_argument("--workers", type=int, default=2, help="HTTP workers of saksi serve")
    p.add_argument("--seconds", type=float, default=3.0,
                   help="durasi uji verifikasi & GET / verify-floor and GET durations")
    p.add_argument("--dir", type=Path, default=None,
                   help="direktori kerja, disimpan dan dipakai ulang (bawaan: sementara) / "
                        "working directory, kept and reused (default: a temporary one)")
    p.add_argument("--phases", default=",".join(PHASES),
                   help="fase yang diukur, dipisah koma; kosong: hanya persiapan / "
                        f"phases to measure, comma-separated ({', '.join(PHASES)}); "
                        "empty: prepare only")


# --- the Ed25519 floor ---------------------------------------------------------
def _verify_loop(items: list[tuple[bytes, bytes, bytes]], seconds: float) -> int:
    from nacl.signing import VerifyKey

    keys = {pk: VerifyKey(pk) for pk, _, _ in items}
    done = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for pk, message, sig in items:
            keys[pk].verify(message, sig)
        done += len(items)
    return done


def verify_floor(raws: Sequence[bytes], keys: dict[str, bytes], seconds: float) -> float:
    from saksi.keys import envelope as env

    items = []
    for raw in raws[:2000]:
        e = env.decode(raw)
        sig = e.signatures[0]
        items.append((keys[sig.keyid], env.pae(e.payload_type, e.payload), sig.sig))
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(cores, mp_context=get_context("spawn")) as pool:
        list(pool.map(_verify_loop, [items[:10]] * cores, [0.1] * cores))  # warm up
        start = time.perf_counter()
        done = sum(pool.map(_verify_loop, [items] * cores, [seconds] * cores))
        return done / (time.perf_counter() - start)


# --- in-process: precheck in a pool, then the sequencer -------------------------
_STATE: list[Any] = []


def _init_precheck(directory: str, url: str) -> None:
    from saksi.election import Election
    from saksi.ingest.precheck import KeyCache, Layouts
    from saksi.store import open_store

    election = Election.open(Path(directory))
    store = open_store(url, readonly=True)

    def fetch(keyid: str) -> bytes | None:
        row = store.key(keyid)
        return None if row is None else row.public_key

    _STATE[:] = [election, KeyCache(fetch), Layouts(election, election.parties)]


def _precheck(raws: list[bytes]) -> list[Any]:
    from saksi.ingest.precheck import precheck

    election, keys, layouts = _STATE
    return [precheck(raw, election, keys, layouts) for raw in raws]


def _chunks(raws: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for raw in raws:
        chunk.append(raw)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def in_process(directory: Path, raws: Iterable[bytes]) -> dict[str, Any]:
    from saksi.ingest.sequencer import Sequencer, Ticket
    from saksi.service.server import PIPELINE_DEPTH
    from saksi.store.base import default_url

    url = default_url(directory)
    sequencer = Sequencer.open(directory, url)  # indexes keys init's entries first
    try:
        chunks = _chunks(raws, CHUNK)
        sheets = accepted = batches = 0
        with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=get_context("spawn"),
                                 initializer=_init_precheck,
                                 initargs=(str(directory), url)) as pool:
            list(pool.map(_precheck, [[]] * (os.cpu_count() or 1)))  # start the workers
            start = time.perf_counter()
            pending: deque[Future[list[Any]]] = deque()

            def ahead() -> None:
                nonlocal sheets
                while len(pending) < AHEAD:
                    chunk = next(chunks, None)
                    if chunk is None:
                        return
                    sheets += len(chunk)
                    pending.append(pool.submit(_precheck, chunk))

            ahead()
            done: list[tuple[float, int]] = []
            # Pipelined as in the server: a batch is begun while the log makes
            # earlier ones durable, and finished (indexed, answered) in order.
            tickets: deque[Ticket] = deque()
            while pending or tickets:
                if pending:
                    items = list(pending.popleft().result())  # the next chunk in order …
                    while pending and pending[0].done() and len(items) < BATCH:
                        items.extend(pending.popleft().result())  # … and all that are ready
                    ahead()
                    tickets.append(sequencer.begin(items))
                    batches += 1
                    if len(tickets) < PIPELINE_DEPTH and pending:
                        continue
                outcomes = sequencer.finish(tickets.popleft())
                accepted += sum(1 for o in outcomes if type(o).__name__ == "Receipt")
                done.append((time.perf_counter(), accepted))
            elapsed = time.perf_counter() - start
    finally:
        sequencer.close()
    return {"sheets": sheets, "accepted": accepted, "seconds": round(elapsed, 2),
            "sheets_per_s": round(accepted / elapsed, 1),
            "sheets_per_s_second_half": second_half_rate(done), "batches": batches}


def second_half_rate(done: Sequence[tuple[float, int]]) -> float | None:
    """Sheets/s over the second half of the sheets, from (time, sheets done so
    far) in time order: the rate once every worker has loaded what a short
    run's first seconds load (a national election's 2,725 ballots, 2.1 s a
    worker), which a night of hours pays for once."""
    if not done:
        return None
    half = done[-1][1] / 2
    t0, n0 = next((t, n) for t, n in done if n >= half)
    t1, n1 = done[-1]
    return round((n1 - n0) / (t1 - t0), 1) if t1 > t0 else None


# --- over HTTP -------------------------------------------------------------------
async def _follow(url: str, seen: list[tuple[float, int]]) -> None:
    """Read the national ppwp document (revalidating by ETag) every 20 ms: when
    each ``as_of_index`` first became visible."""
    import httpx

    etag = None
    async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
        while True:
            headers: dict[str, str] = {"if-none-match": etag} if etag else {}
            try:
                r = await client.get("/api/v1/results/0", params={"contest": "ppwp"},
                                     headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.02)
                continue
            if r.status_code == 200:
                etag = r.headers.get("etag")
                seen.append((time.monotonic(), int(r.json()["as_of_index"])))
            await asyncio.sleep(0.02)


def visibility_latencies(receipts: list[tuple[float, int]], seen: list[tuple[float, int]]
                         ) -> list[float]:
    """For each (time, index) receipt, the delay until a national document with
    ``as_of_index ≥ index`` was first read (receipts never seen are left out)."""
    out = []
    j = 0
    for at, index in sorted(receipts, key=lambda r: r[1]):
        while j < len(seen) and seen[j][1] < index:
            j += 1
        later = [t for t, i in seen[j:] if i >= index and t >= at]
        if later:
            out.append(later[0] - at)
    return out


def _wrk(url: str, seconds: float) -> float | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run([wrk, "-t2", "-c64", f"-d{max(1, int(seconds))}s", url],  # noqa: S603
                         capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


class _Receipts:
    """What the load generator keeps of the answers: the receipts the simulator's
    check needs, and (time, index) of each ppwp receipt for the national latency.
    A request's documents are kept only while it is in flight, and of an
    accepted one only its receipt and, for ppwp, its figures without its bytes
    (a national night's bytes are 18 GB; its receipts alone about 2 GB)."""

    def __init__(self) -> None:
        from saksi.sim.night import Accepted

        self._docs: dict[int, tuple[Doc, ...]] = {}
        self.kept: dict[str, Accepted] = {}
        self.current: dict[tuple[str, str], tuple[Doc, bool]] = {}
        self.ppwp: list[tuple[float, int]] = []
        self.refused = 0
        self.sheets = 0  # sent
        self.problems: list[str] = []

    def bodies(self, requests: Iterable[tuple[Doc, ...]]) -> Iterator[bytes]:
        """Each request's body, its documents noted under its position."""
        from saksi.sim.night import batch_body

        for position, docs in enumerate(requests):
            self._docs[position] = docs
            self.sheets += len(docs)
            yield batch_body(docs)

    def __call__(self, answer: Answer) -> None:
        import msgspec

        from saksi.sim.night import Accepted

        now = time.monotonic()
        docs = self._docs.pop(answer.position)
        if answer.status != 200:
            self.problems.append(f"HTTP {answer.status} for TPS {docs[0].tps}: "
                                 f"{answer.body[:200]!r}")
            return
        replies = msgspec.json.decode(answer.body)
        if len(replies) != len(docs):
            self.problems.append(f"TPS {docs[0].tps}: {len(replies)} answers for {len(docs)}")
            return
        for doc, reply in zip(docs, replies, strict=True):
            if reply.get("status") != "accepted" or reply.get("leaf_hash") != doc.leaf:
                self.refused += 1
                continue
            verdict = sys.intern(str(reply.get("verdict")))
            self.kept[doc.leaf] = Accepted(int(reply["index"]), doc.leaf, doc.tps,
                                           doc.contest, verdict, now)
            if doc.contest == "ppwp":
                # The check compares the national ppwp totals: only those
                # sheets' figures are kept (a DPR sheet's party list is ~1 KB).
                self.current[doc.tps, doc.contest] = (replace(doc, raw=b""),
                                                      verdict == "flagged")
                self.ppwp.append((now, int(reply["index"])))


async def _load(url: str, port: int, bodies: Iterable[bytes], *, concurrency: int,
                receipts: _Receipts, seen: list[tuple[float, int]]
                ) -> tuple[float, list[Answer]]:
    """(seconds sending, the answers)."""
    follower = asyncio.create_task(_follow(url, seen))
    try:
        start = time.perf_counter()
        answers = await post_all("127.0.0.1", port, "/api/v1/sheets", bodies,
                                 concurrency=concurrency, on_answer=receipts,
                                 keep_bodies=False)
        elapsed = time.perf_counter() - start
        await asyncio.sleep(1.0)  # let the follower see the last batch
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    return elapsed, answers


def over_http(directory: Path, requests: Iterable[tuple[Doc, ...]], concurrency: int,
              workers: int, seconds: float) -> dict[str, Any]:
    """The TPS' requests (every contest's sheet in one body, signed beforehand)
    through the lean load generator; then the simulator's check of the night."""
    from saksi.sim.check import log_identity, verify_night
    from saksi.sim.server import LocalServer

    receipts = _Receipts()
    seen: list[tuple[float, int]] = []
    # A national election takes minutes to open (the trust registry is rebuilt
    # from ~830,000 enrolments): allow for it, and report it.
    started = time.perf_counter()
    with LocalServer(directory, workers=workers, args=["--post-rate", "0"],
                     start_timeout=1800) as server:
        startup = time.perf_counter() - started
        server_cpu = server.cpu_seconds()
        client_cpu = time.process_time()
        elapsed, answers = asyncio.run(_load(server.url, server.port,
                                               receipts.bodies(requests),
                                               concurrency=concurrency, receipts=receipts,
                                               seen=seen))
        server_cpu = server.cpu_seconds() - server_cpu
        client_cpu = time.process_time() - client_cpu
        vkey, origin = log_identity(directory)
        check = verify_night(server.url, receipts.kept.values(), receipts.current, vkey=vkey,
                             origin=origin, proofs=8, seed=2024)
        lat = sorted(visibility_latencies(receipts.ppwp, seen))
        latencies = sorted(a.seconds for a in answers)
        get_rps = asyncio.run(hammer(server.port, "/api/v1/results/0?contest=ppwp", 32,
                                     seconds)).per_second
        wrk = _wrk(server.url + "/api/v1/results/0?contest=ppwp", seconds)
        peak = server.peak_rss
    accepted = len(receipts.kept)
    return {
        "server_startup_s": round(startup, 1),
        "requests": len(answers), "sheets": receipts.sheets, "accepted": accepted,
        "refused": receipts.refused, "seconds": round(elapsed, 2),
        "sheets_per_s": round(accepted / elapsed, 1),
        "sheets_per_s_second_half": second_half_rate(
            [(t, n) for n, t in enumerate(sorted(a.received for a in receipts.kept.values()),
                                          1)]),
        "retries": sum(a.attempts - 1 for a in answers),
        # CPU per accepted sheet (the last second of the follower included):
        # steadier than sheets/s on a shared machine.
        "server_cpu_us_per_sheet": round(1e6 * server_cpu / max(1, accepted)),
        "load_generator_cpu_us_per_sheet": round(1e6 * client_cpu / max(1, accepted)),
        "request_latency_ms_p50": round(1000 * statistics.median(latencies), 1),
        "request_latency_ms_p99": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
        "receipt_to_national_ms_p50": round(1000 * statistics.median(lat), 1) if lat else None,
        "receipt_to_national_ms_p99": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1)
        if lat else None,
        "receipts_in_log": f"{check.receipts_in_log}/{check.receipts}",
        "totals_match": check.totals_match,
        "problems": (receipts.problems + check.problems)[:10],
        "peak_server_rss_mb": round(peak / 2**20, 1),
        "results_get_per_s": round(get_rps),
        "results_get_per_s_wrk": wrk,
    }


def _prepared(directory: Path, codes: list[str]) -> Iterator[tuple[Doc, ...]]:
    """Every contest's sheet of each TPS, signed by its device (clean: no error
    patterns, resends or drops), one request per TPS in ``codes``' order, as the
    process pool makes them."""
    from saksi.sim.work import Rates, init_worker, prepare_tps

    cores = os.cpu_count() or 1
    quiet = Rates(error=0, duplicate=0, drop=0, late=0, correction=0, forged=0)
    with ProcessPoolExecutor(cores, mp_context=get_context("spawn"), initializer=init_worker,
                             initargs=(str(directory), 2024, quiet)) as pool:
        for start in range(0, len(codes), 4096):  # submitted a slice at a time
            part = codes[start:start + 4096]
            for work in pool.map(prepare_tps, part, part, chunksize=32):
                yield work.batch


def _device_keys(directory: Path, codes: Iterable[str]) -> dict[str, bytes]:
    """The public keys of these TPS' devices, by key id."""
    from saksi.keys.hierarchy import load_master
    from saksi.keys.ids import key_id
    from saksi.keys.simulation import device_key

    master = load_master(directory, None)
    keys = {}
    for code in codes:
        vk = bytes(device_key(master, code).verify_key)
        keys[key_id(vk)] = vk
    return keys


def _index(directory: Path) -> None:
    from saksi.ingest.sequencer import Sequencer
    from saksi.store.base import default_url

    Sequencer.open(directory, default_url(directory)).close()


def _base(root: Path, args: argparse.Namespace) -> tuple[Path, float | None]:
    """The election, its keys enrolled and indexed once (so neither measured
    run starts by indexing ~830,000 enrolments at national scale): reused
    from ``root`` when an earlier run built it for the same scale and region.
    The seconds indexing took, None when reused."""
    from saksi.cli import main as saksi
    from saksi.election import build_election

    base = root / "base"
    mark = {"scale": args.scale, "region": args.region}
    with contextlib.suppress(OSError, ValueError):
        if json.loads((base / BASE_MARK).read_text()) == mark:
            return base, None
    build_election(base, scale=args.scale, region=args.region, force=True).close()
    with contextlib.redirect_stdout(sys.stderr):  # stdout is the JSON alone
        if saksi(["keys", "init", str(base)]) != 0:
            raise SystemExit(1)
    t = time.perf_counter()
    _index(base)
    indexed = time.perf_counter() - t
    (base / BASE_MARK).write_text(json.dumps(mark))
    return base, indexed


def _fresh_copy(base: Path, to: Path) -> Path:
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(base, to)
    (to / BASE_MARK).unlink(missing_ok=True)
    return to


def run(args: argparse.Namespace) -> int:
    from saksi.errors import InputError
    from saksi.sim.run import select_tps
    from saksi.sim.spool import read_spool, spool_info, write_spool

    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise InputError("--phases", args.phases, "fase tidak dikenal: " + ", ".join(unknown),
                         "unknown phases: " + ", ".join(unknown))
    scratch = None
    if args.dir is None:
        scratch = tempfile.mkdtemp(prefix="saksi-bench-ingest-")
        root = Path(scratch)
    else:
        root = args.dir
        root.mkdir(parents=True, exist_ok=True)
    try:
        base, indexed = _base(root, args)
        tps = args.tps or None
        codes = select_tps(base, tps, 2024, whole_desa=args.sample == "desa")
        spool = root / (f"requests-{args.scale}-{args.region or 'all'}-{args.sample}-"
                        f"{len(codes)}.spool")
        t = time.perf_counter()
        info = spool_info(spool)
        prepared = info is None
        if info is None:
            info = write_spool(spool, _prepared(base, codes))
        preparing = time.perf_counter() - t
        sample: list[Doc] = []
        for docs in read_spool(spool):
            sample.extend(docs)
            if len(sample) >= 2000:
                break
        floor = verify_floor([d.raw for d in sample],
                             _device_keys(base, {d.tps for d in sample}), args.seconds)
        out: dict[str, Any] = {}
        if "in-process" in phases:
            out["in_process"] = in_process(
                _fresh_copy(base, root / "inproc"),
                (d.raw for docs in read_spool(spool) for d in docs))
        if "http" in phases:
            out["http"] = over_http(_fresh_copy(base, root / "http"), read_spool(spool),
                                    args.concurrency, args.workers, args.seconds)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    for result in out.values():
        result["of_floor"] = round(result["sheets_per_s"] / floor, 3)
    print(json.dumps({
        "bench": "ingest", "scale": args.scale, "sample": args.sample, "tps": info.requests,
        "sheets": info.sheets,
        "cpus": os.cpu_count(),
        "index_keys_seconds": None if indexed is None else round(indexed, 1),
        "prepare_seconds": round(preparing, 1) if prepared else None,
        "verify_floor_per_s": round(floor),
        **out,
        "targets": {"in_process_of_floor": 0.6, "http_sheets_per_s": 5000,
                    "receipt_to_national_p99_ms": 2000, "results_get_per_s": 10000},
    }, indent=2))
    return 0
