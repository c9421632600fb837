"""``python -m saksi.service.bench DIR``: measure the results service.

Starts ``saksi serve`` on a copy-free election directory (it submits sheets
into DIR's log: use a scratch election), then

1. submits every contest's sheet of ``--tps`` polling stations, one request per
   TPS from ``--clients`` concurrent clients → sheets/s and latency;
2. hammers ``GET /api/v1/results/0`` with ``--connections`` keep-alive
   connections (pipelined, raw sockets so that the client is cheap) → req/s.

Prints one JSON object. Numbers depend on the machine; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(directory: Path, port: int, workers: int, db: str | None) -> subprocess.Popen[bytes]:
    import httpx

    args = [sys.executable, "-m", "saksi.service", str(directory), "--port", str(port),
            "--workers", str(workers), "--post-rate", "0"]
    if db:
        args += ["--db", db]
    proc = subprocess.Popen(args, start_new_session=True)  # noqa: S603 (our own argv)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/progress", timeout=1).is_success:
                return proc
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def _bodies(directory: Path, count: int, offset: int) -> list[bytes]:
    from saksi.election import Election
    from saksi.keys import envelope as env
    from saksi.keys.envelope import TYPE_SHEET
    from saksi.keys.hierarchy import load_master
    from saksi.keys.simulation import device_key
    from saksi.sheets.canonical import encode
    from saksi.sheets.generate import generate_sheet

    out: list[bytes] = []
    with Election.open(directory) as e:
        master = load_master(directory, None)
        codes = [t for n, t in enumerate(e.iter_tps()) if n >= offset][:count]
        for t in codes:
            key = device_key(master, t.code)
            raws = [env.encode(env.sign(TYPE_SHEET, encode(generate_sheet(
                e.ballot(t.code, c), t, 11)), [key])) for c in e.contests_at(t.code)]
            out.append(b"[" + b",".join(raws) + b"]")
    return out


async def _submit(port: int, bodies: list[bytes], clients: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sheets = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker() -> None:
        nonlocal sheets
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            while not queue.empty():
                body = queue.get_nowait()
                t = time.perf_counter()
                r = await c.post("/api/v1/sheets", content=body,
                                 headers={"content-type": "application/json"})
                latencies.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    sheets += sum(1 for a in r.json() if a["status"] == "accepted")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"requests": len(bodies), "sheets_accepted": sheets, "seconds": round(elapsed, 3),
            "sheets_per_s": round(sheets / elapsed, 1),
            "latency_ms_p50": round(1000 * statistics.median(latencies), 1),
            "latency_ms_p99": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
            "statuses": statuses}


async def _hammer(port: int, path: str, connections: int, seconds: float
                  ) -> dict[str, Any]:
    from saksi.sim.loadgen import hammer

    rate = await hammer(port, path, connections, seconds)
    return {"path": path, "requests": rate.ok, "errors": rate.errors,
            "seconds": round(rate.seconds, 2), "requests_per_s": round(rate.per_second)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m saksi.service.bench")
    p.add_argument("directory", type=Path)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--db", default=None)
    p.add_argument("--tps", type=int, default=300)
    p.add_argument("--offset", type=int, default=0, help="first TPS to submit (by order)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args(argv)
    port = _free_port()
    t = time.perf_counter()
    proc = _start(args.directory.resolve(), port, args.workers, args.db)
    started = time.perf_counter() - t
    try:
        bodies = _bodies(args.directory, args.tps, args.offset)
        submit = asyncio.run(_submit(port, bodies, args.clients))
        national = asyncio.run(_hammer(port, "/api/v1/results/0", args.connections,
                                       args.seconds))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    print(json.dumps({"workers": args.workers, "cpus": os.cpu_count(),
                      "startup_s": round(started, 2), "submit": submit,
                      "national_results": national}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
