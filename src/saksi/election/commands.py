"""``saksi election …``: build an election directory and summarise it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from saksi.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("election", help="model pemilu / the election model")
    commands = group.add_subparsers(dest="election_command", metavar="COMMAND", required=True)

    init = commands.add_parser(
        "init", help="bangun pemilu di DIR / build an election in DIR",
        description="Bangun pohon wilayah, TPS, DPT, dapil dan calon / build regions, TPS, "
        "DPT, dapil and candidates (built-in tree, or KPU's lists with --kpu-wilayah/--kpu-tps)")
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--scale", default=None,
                      choices=("kecamatan", "kabkota", "provinsi", "nasional"))
    init.add_argument("--region", default=None, metavar="CODE")
    init.add_argument("--seed", type=int, default=2024)
    init.add_argument("--kpu-wilayah", type=Path, default=None, metavar="FILE")
    init.add_argument("--kpu-tps", type=Path, default=None, metavar="FILE")
    init.add_argument("--force", action="store_true",
                      help="timpa pemilu yang ada / replace an existing election")
    init.set_defaults(handler=_init)

    summary = commands.add_parser("summary", help="ringkasan / counts of an election")
    summary.add_argument("directory", type=Path, metavar="DIR")
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(handler=_summary)


def _init(args: argparse.Namespace) -> int:
    from saksi.election.build import build_election, import_kpu

    if (args.kpu_wilayah is None) != (args.kpu_tps is None):
        raise InputError("--kpu-wilayah/--kpu-tps", None,
                         "kedua berkas KPU harus diberikan bersama",
                         "give both KPU files together")
    if args.kpu_wilayah is not None:
        election = import_kpu(args.directory, wilayah=args.kpu_wilayah, tps=args.kpu_tps,
                              scale=args.scale or "nasional", region=args.region,
                              seed=args.seed, force=args.force)
    else:
        if args.scale is None:
            raise InputError("--scale", None, "pilih --scale", "choose a --scale")
        election = build_election(args.directory, scale=args.scale, region=args.region,
                                  seed=args.seed, force=args.force)
    with election:
        print(format_summary(election.summary()))
    return 0


def _summary(args: argparse.Namespace) -> int:
    from saksi.election.store import Election

    with Election.open(args.directory) as election:
        data = election.summary()
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else format_summary(data))
    return 0


def format_summary(data: dict[str, object]) -> str:
    regions, tps, dpt, contests = (data["regions"], data["tps"], data["dpt"], data["contests"])
    assert isinstance(regions, dict) and isinstance(tps, dict)
    assert isinstance(dpt, dict) and isinstance(contests, dict)
    lines = [
        f"pemilu / election: {data['source']} {data['scale']} region={data['region']} "
        f"seed={data['seed']}",
        "wilayah / regions: " + ", ".join(f"{k} {v:,}" for k, v in regions.items()),
        f"TPS: {tps['total']:,} ({tps['domestic']:,} dalam negeri / domestic, "
        f"{tps['overseas']:,} luar negeri / overseas)",
        f"DPT: {dpt['total']:,} (L {dpt['l']:,}, P {dpt['p']:,}; maks/max per TPS "
        f"{dpt['max_per_tps']})",
    ]
    for contest, row in contests.items():
        lines.append(f"  {contest:<13} dapil {row['dapil']:>5,}  kursi/seats {row['seats']:>6,}  "
                     f"partai/parties {row['parties']:>2}  "
                     f"calon/candidates {row['candidates']:>7,}")
    lines.append(f"index sha256: {data['index_sha256']}")
    return "\n".join(lines)
