"""``saksi bench log``: append throughput of the log with real fsyncs.

``bench_log(args)`` reads ``entries``, ``entry_bytes``, ``threads``, ``chunk``,
``batch_size``, ``batch_ms`` and ``dir`` from ``args`` (all optional) and
returns a JSON-able dict.  Nothing here asserts timings; it only measures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from saksi.ledger.log import DEFAULT_BATCH_MS, DEFAULT_BATCH_SIZE, Log
from saksi.ledger.verify import verify_tiles


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--entry-bytes", type=int, default=600)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--chunk", type=int, default=64, help="entries per append_many call")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    p.add_argument("--batch-ms", type=float, default=DEFAULT_BATCH_MS)
    p.add_argument("--dir", type=Path, default=None)


def bench_log(args: argparse.Namespace) -> dict[str, Any]:
    n = int(getattr(args, "entries", 100_000))
    size = int(getattr(args, "entry_bytes", 600))
    threads = max(1, int(getattr(args, "threads", 8)))
    chunk = max(1, int(getattr(args, "chunk", 64)))
    batch_size = int(getattr(args, "batch_size", DEFAULT_BATCH_SIZE))
    batch_ms = float(getattr(args, "batch_ms", DEFAULT_BATCH_MS))
    base = getattr(args, "dir", None)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        d = Path(tmp)
        Log.create(d, origin="bench.saksi.example/log").close()
        log = Log.open(d, batch_size=batch_size, batch_ms=batch_ms)
        per_thread = n // threads
        payload = os.urandom(size)

        def worker(t: int) -> None:
            done = 0
            while done < per_thread:
                k = min(chunk, per_thread - done)
                log.append_many(
                    [
                        payload[:-8] + (t * per_thread + done + i).to_bytes(8, "big")
                        for i in range(k)
                    ]
                )
                done += k

        start = time.perf_counter()
        ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        elapsed = time.perf_counter() - start
        total = log.size
        log.close()
        t0 = time.perf_counter()
        reopened = Log.open(d)
        reopen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(0, total, max(1, total // 200)):
            reopened.inclusion_proof(i)
        proof_ms = (time.perf_counter() - t0) * 1000 / len(range(0, total, max(1, total // 200)))
        reopened.close()
        t0 = time.perf_counter()
        verify_tiles(d, reopened.vkey)
        verify_s = time.perf_counter() - t0
    return {
        "bench": "log",
        "entries": total,
        "entry_bytes": size,
        "threads": threads,
        "chunk": chunk,
        "batch_size": batch_size,
        "batch_ms": batch_ms,
        "seconds": round(elapsed, 3),
        "entries_per_second": round(total / elapsed, 1),
        "reopen_seconds": round(reopen_s, 4),
        "inclusion_proof_ms": round(proof_ms, 3),
        "verify_all_seconds": round(verify_s, 3),
    }
