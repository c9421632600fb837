"""``saksi demo``: election night on one machine, end to end.

Builds a kab/kota-scale election (Kota Bandung by default: 7,409 TPS, about
37,000 sheets), creates its key hierarchy, starts ``saksi serve`` with two
workers, and plays the night from the KPPS side against it (``saksi.sim``):
every TPS device signs and sends its sheets, some with the 2024 misreads,
some twice, some over a connection that drops, some revised late, and the
PPK corrects most flagged sheets. The national presidential totals are
printed as they come in; at the end every receipt is checked against the
log and the totals against the sheets sent. The service keeps running (the
portal is at the printed URL) until Ctrl-C; ``--once`` stops after the night.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEMO_MARKER = ".saksi-demo"
DEFAULT_DIR = Path("demo-election")
TICK_SECONDS = 5.0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="jalankan demo malam pemilu / run the election-night demo",
        description="Build a kab/kota-scale election, start saksi serve, simulate election "
        "night against it and show the national totals as they come in.",
    )
    p.add_argument("--scale", default="kabkota",
                   choices=["kecamatan", "kabkota", "provinsi", "nasional"])
    p.add_argument("--region", default=None, help="kode wilayah / region code")
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                   help="direktori demo (dibuat ulang) / demo directory (rebuilt)")
    p.add_argument("--port", type=int, default=8000,
                   help="port HTTP (0: pilih bebas / any free port)")
    p.add_argument("--workers", type=int, default=2, help="proses HTTP / HTTP processes")
    p.add_argument("--tps", type=int, default=None, metavar="N",
                   help="jumlah TPS yang mengirim (bawaan: semua) / TPS that send (default all)")
    p.add_argument("--concurrency", type=int, default=64, metavar="C")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--once", action="store_true",
                   help="berhenti setelah malam selesai / exit after the night")
    p.set_defaults(handler=_demo)


def _section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def _prepare_dir(directory: Path) -> None:
    """A demo directory is rebuilt each run, but only one the demo made itself."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / DEMO_MARKER).exists():
            from saksi.errors import InputError

            raise InputError("--dir", str(directory),
                             "direktori tidak kosong dan bukan buatan demo",
                             "directory is not empty and was not made by the demo")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DEMO_MARKER).write_text("made by saksi demo; rebuilt on every run\n")


def national_line(doc: dict[str, Any], elapsed: float) -> str:
    """One line of the national presidential count: progress and each ticket's share."""
    progress = doc["progress"]
    bp = int(progress["in_bp"])
    tickets = "  ".join(f"{c['number']:02d} {c['name'].split(' – ')[0].split(',')[0][:24]} "
                        f"{c['votes']:,} ({c['percent']}%)" for c in doc["choices"])
    return (f"[{elapsed:5.0f} s] {progress['sheets_in']:,}/{progress['sheets_expected']:,} "
            f"lembar/sheets ({bp // 100}.{bp % 100:02d}%), ditandai/flagged "
            f"{progress['sheets_flagged']}  |  {tickets}")


async def _ticker(night: Any) -> None:
    import httpx

    start = time.monotonic()
    last = None
    async with httpx.AsyncClient(base_url=night.url, timeout=10, trust_env=False) as client:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                r = await client.get("/api/v1/results/0", params={"contest": "ppwp"})
            except httpx.HTTPError:
                continue
            if r.status_code == 200 and r.content != last:
                last = r.content
                print(national_line(r.json(), time.monotonic() - start), flush=True)


def _start_witness(directory: Path) -> subprocess.Popen[bytes]:
    """An independent witness for the night (in real life: Bawaslu, a
    university, the media, on their own machines): it cosigns every checkpoint
    after checking that the log only grew, and the portal shows its
    cosignature."""
    from saksi.ledger.log import Log
    from saksi.ledger.witness import init_witness
    from saksi.ledger.witness_client import WitnessEntry, load_witnesses, save_witnesses
    from saksi.sim.server import free_port

    wdir = directory / "witness"
    signer = init_witness(wdir, "witness.example/pemantau-demo")
    port = free_port()
    with Log.open(directory, readonly=True) as log:
        log_vkey = log.vkey
    with (directory / "witness.log").open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "saksi", "witness", "serve", str(wdir), "--log-vkey",
             log_vkey, "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            break
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    path = directory / "ledger" / "witnesses.json"
    save_witnesses(path, [*load_witnesses(path), WitnessEntry(url, signer.vkey, 0)])
    print(f"saksi log / log witness: {signer.vkey.split('+')[0]} at {url}", flush=True)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _demo(args: argparse.Namespace) -> int:
    from saksi.cli import main as saksi
    from saksi.election import Election, build_election
    from saksi.election.commands import format_summary
    from saksi.sim.check import national
    from saksi.sim.report import format_summary as night_summary
    from saksi.sim.run import run_night
    from saksi.sim.server import LocalServer

    # A terminated demo (SIGTERM from a supervisor or `timeout`) must stop its
    # server too, as Ctrl-C does: turn it into the same interrupt.
    signal.signal(signal.SIGTERM, _interrupt)
    directory: Path = args.dir
    _prepare_dir(directory)
    _section("1. Pemilu / Election")
    build_election(directory, scale=args.scale, region=args.region, seed=args.seed,
                   force=True).close()
    with Election.open(directory) as election:
        print(format_summary(election.summary()))

    _section("2. Kunci dan log transparansi / Keys and the transparency log")
    if saksi(["keys", "init", str(directory)]) != 0:
        return 1

    witness = _start_witness(directory)
    _section("3. Layanan hasil / Results service")
    server = LocalServer(directory.resolve(), port=args.port, workers=args.workers,
                         args=["--post-rate", "0"], log=directory / "serve.log")
    try:
        server.start()
        print(f"portal & API: {server.url}/   (API: {server.url}/api/v1/…, log: "
              f"{server.url}/log/checkpoint; server log: {server.log})", flush=True)

        _section("4. Malam pemilu / Election night (KPPS → saksi)")
        print("total nasional pilpres setiap beberapa detik / national presidential totals "
              "every few seconds:", flush=True)
        _, _, result = run_night(server.url, directory, tps=args.tps, seed=args.seed,
                                 concurrency=args.concurrency, extras=[_ticker])
        import httpx

        with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as client:
            print(national_line(national(client), result["seconds"]))

        _section("5. Ringkasan / Summary")
        print(night_summary(result))
        rss = server.peak_rss / 2**20
        print(f"memori puncak layanan / peak server memory: {rss:,.0f} MiB", flush=True)
        if args.once:
            return 0 if result["ok"] else 1
        print(f"\nlayanan tetap berjalan di / still serving at {server.url}/ — Ctrl-C untuk "
              "berhenti / to stop", flush=True)
        try:
            while server.proc is not None and server.proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nberhenti / stopping", flush=True)
        return 0 if result["ok"] else 1
    finally:
        server.stop()
        _stop(witness)
