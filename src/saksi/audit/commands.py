"""``saksi verify`` and ``saksi monitor`` (the lead wires ``register`` into saksi.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EPILOG = ("Keluar 0 hanya jika semua cocok; 1 jika ada ketidakcocokan; 2 untuk masukan salah. "
          "/ Exit 0 only when everything checks; 1 on any discrepancy; 2 on bad input.")


def _add_bench() -> None:
    from saksi.bench import add_bench

    def configure(parser: argparse.ArgumentParser) -> None:
        from saksi.audit.bench import configure as real

        real(parser)

    def handler(args: argparse.Namespace) -> int:
        from saksi.audit.bench import handler as real

        return real(args)

    add_bench("verify", "laju pemeriksaan independen / independent verifier throughput",
              configure, handler)


_add_bench()  # saksi.cli must import this module before it builds ``saksi bench``


def register(sub: Any) -> None:
    p = sub.add_parser(
        "verify", help="periksa pemilu secara independen / independently verify an election",
        description="Check the log, every signature, the trust chain, the sheet rules, the "
        "version history, every total and seat projection, and (with an API) what is "
        "published. See docs/verifier.md.", epilog=EPILOG)
    p.add_argument("source", metavar="SOURCE", help="direktori pemilu atau URL layanan / "
                   "election directory or service URL")
    p.add_argument("--log-vkey", default=None, metavar="VKEY",
                   help="kunci verifikasi log / the log's verifier key (signed-note vkey)")
    p.add_argument("--policy", type=Path, default=None, metavar="FILE",
                   help="kebijakan saksi / witness policy (tlog-policy style)")
    p.add_argument("--root-key", default=None, metavar="HEX",
                   help="kunci akar KPU yang dipercaya / pinned KPU root public key (hex)")
    p.add_argument("--election", type=Path, default=None, metavar="DIR",
                   help="indeks pemilu publik / public election index (URL mode)")
    p.add_argument("--api", default=None, metavar="URL",
                   help="bandingkan dengan API ini / compare with this API")
    p.add_argument("--since", type=Path, default=None, metavar="STATE")
    p.add_argument("--save-state", type=Path, default=None, metavar="STATE")
    p.add_argument("--workers", type=int, default=0, help="0 = semua inti / all cores")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="tanpa bilah kemajuan / no progress bar")
    p.set_defaults(handler=_verify)

    m = sub.add_parser(
        "monitor", help="pantau log yang berjalan / tail a live log",
        description="Poll a service: check each new checkpoint's consistency with the last, "
        "verify what is new, compare published totals; alert on a fork, a rewrite, a "
        "shrinking log, a wrong total or a stalled log.", epilog=EPILOG)
    m.add_argument("url", metavar="URL")
    m.add_argument("--interval", type=float, default=10.0, metavar="S")
    m.add_argument("--stall-after", type=float, default=0.0, metavar="S",
                   help="peringatan jika checkpoint tidak maju / alert when the checkpoint "
                   "does not advance for S seconds (0: off)")
    m.add_argument("--webhook", default=None, metavar="URL")
    m.add_argument("--state", type=Path, default=None, metavar="FILE")
    m.add_argument("--max-polls", type=int, default=0, metavar="N", help="0 = tanpa batas")
    m.add_argument("--log-vkey", default=None, metavar="VKEY")
    m.add_argument("--policy", type=Path, default=None, metavar="FILE")
    m.add_argument("--election", type=Path, default=None, metavar="DIR")
    m.add_argument("--workers", type=int, default=0)
    m.set_defaults(handler=_monitor)


def _verify(args: argparse.Namespace) -> int:
    from saksi.audit.run import verify_command

    code: int = verify_command(args)
    return code


def _monitor(args: argparse.Namespace) -> int:
    from saksi.audit.monitor import monitor_command

    code: int = monitor_command(args)
    return code


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
