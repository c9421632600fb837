"""``saksi tally …`` commands. Heavy modules are imported inside handlers."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("tally", help="rekapitulasi & proyeksi kursi / recapitulation "
                           "and seat projection")
    commands = group.add_subparsers(dest="tally_command", metavar="COMMAND", required=True)
    bench = commands.add_parser("bench", help="ukur kecepatan rekapitulasi (JSON) / measure "
                                "how fast the tally applies sheets (JSON)")
    configure_bench(bench)
    bench.set_defaults(handler=_bench)


def configure_bench(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--election", type=Path, default=None, metavar="DIR",
                        help="pemilu yang sudah dibangun / a built election "
                        "(default: build one at --scale in a temporary directory)")
    parser.add_argument("--scale", default="kabkota", choices=("kecamatan", "kabkota",
                                                               "provinsi", "nasional"))
    parser.add_argument("--sheets", type=int, default=5000,
                        help="lembar per pemilihan / sheets per contest")


def _bench(args: argparse.Namespace) -> int:
    from saksi.tally.bench import run

    return run(args)
