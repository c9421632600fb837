"""``saksi simulate``: an election night from the KPPS side against a running service."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_rate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--error-rate", type=float, default=0.02, metavar="R",
                   help="bagian lembar dengan pola galat 2024 / share of sheets with a 2024 "
                   "error pattern")
    p.add_argument("--duplicate-rate", type=float, default=0.05, metavar="R",
                   help="TPS yang mengirim dua kali / TPS that send twice")
    p.add_argument("--drop-rate", type=float, default=0.03, metavar="R",
                   help="TPS yang koneksinya putus / TPS whose first request is aborted")
    p.add_argument("--late-rate", type=float, default=0.02, metavar="R",
                   help="TPS yang mengirim revisi 2 / TPS that send a revision 2")
    p.add_argument("--correction-rate", type=float, default=0.7, metavar="R",
                   help="lembar ditandai yang dikoreksi PPK / flagged sheets the PPK corrects")
    p.add_argument("--forged-rate", type=float, default=0.002, metavar="R",
                   help="TPS yang lembarnya juga dikirim dengan kunci TPS lain / TPS whose "
                   "sheet is also sent signed by another TPS's key")


def rates_from(args: argparse.Namespace) -> Any:
    from saksi.sim.work import Rates

    return Rates(error=args.error_rate, duplicate=args.duplicate_rate, drop=args.drop_rate,
                 late=args.late_rate, correction=args.correction_rate, forged=args.forged_rate)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulasikan malam pemilu dari sisi KPPS / simulate election night from the "
        "KPPS side",
        description="Many concurrent simulated TPS devices sign their sheets and POST them "
        "to a running saksi serve (retries, duplicates, dropped connections, late revisions, "
        "PPK corrections, the 2024 error patterns); then every receipt is checked against "
        "the log and the national ppwp totals against the sheets sent.",
    )
    p.add_argument("--url", required=True, help="alamat layanan / service URL")
    p.add_argument("--election", type=Path, required=True, metavar="DIR",
                   help="direktori pemilu dengan kunci / election directory with keys")
    p.add_argument("--tps", type=int, default=None, metavar="N",
                   help="jumlah TPS (bawaan: semua) / number of TPS (default: all)")
    p.add_argument("--concurrency", type=int, default=64, metavar="C")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--workers", type=int, default=2,
                   help="proses pembuat lembar / sheet-generating processes")
    p.add_argument("--proofs", type=int, default=32,
                   help="bukti inklusi yang diperiksa / inclusion proofs to check")
    add_rate_options(p)
    p.add_argument("--json", action="store_true", help="ringkasan JSON / JSON summary")
    p.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from saksi.errors import InputError
    from saksi.sim.report import format_summary
    from saksi.sim.run import run_night

    if not (args.election / "keys").is_dir():
        raise InputError("--election", str(args.election), "direktori tanpa kunci (jalankan "
                         "saksi keys init)", "directory has no keys (run saksi keys init)")
    if args.concurrency < 1:
        raise InputError("--concurrency", args.concurrency, "minimal 1", "at least 1")
    _, _, result = run_night(args.url, args.election, tps=args.tps, seed=args.seed,
                             rates=rates_from(args), concurrency=args.concurrency,
                             workers=args.workers, proofs=args.proofs, progress=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_summary(result))
    return 0 if result["ok"] else 1
