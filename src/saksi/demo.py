"""``saksi demo``: the main job on the embedded default, end to end.

Builds a kab/kota-scale election, shows its summary, checks a sample of
sheets (clean ones and the 2024 error patterns), creates the key hierarchy,
signs and ingests the sample through the same pipeline the HTTP API uses,
refuses forgeries, and shows the signed checkpoint and a receipt verified
against it. Everything stays in ``--dir`` for inspection.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path
from typing import Any

DEMO_MARKER = ".saksi-demo"
DEFAULT_DIR = Path("demo-election")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="jalankan demo lengkap / run the end-to-end demo",
        description="Build a kab/kota-scale election, check and sign a sample of sheets, "
        "log them and verify a receipt.",
    )
    p.add_argument("--scale", default="kabkota",
                   choices=["kecamatan", "kabkota", "provinsi", "nasional"])
    p.add_argument("--region", default=None, help="kode wilayah / region code")
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                   help="direktori demo (dibuat ulang) / demo directory (rebuilt)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--sample", type=int, default=40,
                   help="jumlah TPS contoh / number of sample TPS")
    p.set_defaults(handler=_demo)


def _section(title: str) -> None:
    print(f"\n== {title} ==")


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


def _demo(args: argparse.Namespace) -> int:
    from saksi.cli import main as saksi
    from saksi.election import Election, build_election
    from saksi.election.commands import format_summary
    from saksi.ingest import Ingestor, Receipt
    from saksi.keys import envelope as env
    from saksi.keys.envelope import TYPE_SHEET
    from saksi.keys.hierarchy import load_master
    from saksi.keys.simulation import device_key
    from saksi.ledger.checkpoint import TlogProof
    from saksi.ledger.note import Verifier
    from saksi.sheets.canonical import encode
    from saksi.sheets.generate import generate_sheet
    from saksi.sheets.inject import PATTERNS, inject
    from saksi.sheets.rules import check_sheet

    directory: Path = args.dir
    _prepare_dir(directory)
    _section("1. Pemilu / Election")
    build_election(directory, scale=args.scale, region=args.region, seed=args.seed, force=True)
    election = Election.open(directory)
    print(format_summary(election.summary()))

    _section("2. Lembar C.Hasil yang diperiksa / Checked C.Hasil sheets")
    rng = random.Random(args.seed)
    every = list(election.iter_tps())
    sample = sorted(rng.sample(every, min(args.sample, len(every))), key=lambda t: t.code)
    sheets = []
    print(f"{'TPS':<14} {'pemilihan':<13} {'pola galat / error':<16} {'hasil / verdict':<9} aturan")
    for n, tps in enumerate(sample):
        for contest in election.contests_at(tps.code):
            sheet = generate_sheet(election.ballot(tps.code, contest), tps, args.seed)
            pattern = "-"
            if contest.value == "ppwp" and n < len(PATTERNS) * 2:
                pattern = PATTERNS[n % len(PATTERNS)]
                sheet = inject(sheet, pattern, rng)
            result = check_sheet(sheet, election.ballot(tps.code, contest), tps)
            sheets.append((sheet, result))
            if (contest.value == "ppwp" and n < 14) or n == 0:
                codes = ", ".join(sorted(result.codes)) or "-"
                print(f"{tps.code:<14} {contest.value:<13} {pattern:<16} "
                      f"{result.verdict.value:<9} {codes}")
    print(f"… ({len(sample) - 14} TPS lagi / more TPS)") if len(sample) > 14 else None
    clean = sum(1 for _, r in sheets if r.verdict.value == "clean")
    print(f"{len(sheets)} lembar / sheets: {clean} bersih / clean, "
          f"{len(sheets) - clean} ditandai / flagged "
          "(a swap of two tickets keeps every sum; only witnesses' copies expose it)")
    election.close()

    _section("3. Kunci dan log transparansi / Keys and the transparency log")
    saksi(["keys", "init", str(directory)])

    _section("4. Tanda tangan dan penerimaan / Signing and ingest")
    master = load_master(directory, None)
    signed = [env.encode(env.sign(TYPE_SHEET, encode(s), [device_key(master, s.tps)]))
              for s, _ in sheets]
    victim, thief = sample[0].code, sample[-1].code
    forged = env.encode(env.sign(TYPE_SHEET, encode(sheets[0][0]), [device_key(master, thief)]))
    with Ingestor.open(directory) as ingestor:
        outcomes = ingestor.submit_many([*signed, forged, signed[0]])
        checkpoint = ingestor.log.checkpoint_text()
        vkey = ingestor.log.vkey
        origin = ingestor.log.origin
        first = outcomes[0]
        assert isinstance(first, Receipt)
        proof_text = ingestor.log.receipt(first.index)
    accepted = [o for o in outcomes[: len(signed)] if isinstance(o, Receipt)]
    flagged = sum(1 for o in accepted if o.flags)
    print(f"diterima / accepted: {len(accepted)} ({len(accepted) - flagged} bersih / clean, "
          f"{flagged} ditandai / flagged)")
    refusal = outcomes[len(signed)]
    reasons = getattr(refusal, "reasons", ())
    print(f"lembar TPS {victim} ditandatangani kunci TPS {thief} / signed with another "
          f"TPS's key: {type(refusal).__name__.lower()} "
          f"({', '.join(r.code for r in reasons)})")
    duplicate = outcomes[-1]
    print(f"dikirim ulang / sent again: index {getattr(duplicate, 'index', '?')}, "
          f"duplicate={getattr(duplicate, 'duplicate', False)}")

    _section("5. Checkpoint dan tanda terima / Checkpoint and receipt")
    print(checkpoint.rstrip())
    receipt = TlogProof.parse(proof_text)
    receipt.verify(signed[0], Verifier.parse(vkey), origin)
    print(f"\ntanda terima entri {first.index} diverifikasi / receipt of entry {first.index} "
          "verified against the signed checkpoint")
    print(f"\nsemua data ada di / everything is in: {directory}/")
    print(f"  saksi election summary {directory}    saksi log proof {directory} --index "
          f"{first.index}")
    return 0
