"""``saksi sheet …``: make an example sheet, check a sheet against an election.

Heavy modules are imported inside the handlers so that ``saksi --help``
stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saksi.errors import InputError

if TYPE_CHECKING:
    from saksi.sheets.rules import CheckResult

EXIT_CLEAN, EXIT_FLAGGED, EXIT_REJECTED = 0, 1, 2

_VERDICT_WORDS = {"clean": "BERSIH / clean", "flagged": "DITANDAI / flagged",
                  "rejected": "DITOLAK / rejected"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser(
        "sheet", help="lembar C.Hasil / the C.Hasil tally sheet",
        description="Lembar C.Hasil: contoh dan pemeriksaan / C.Hasil sheets: examples and checks",
    )
    sheet_sub = group.add_subparsers(dest="sheet_command", metavar="COMMAND", required=True)

    ex = sheet_sub.add_parser(
        "example", help="buat contoh lembar yang realistis / generate a realistic sheet",
        description="Cetak satu lembar C.Hasil (JSON) untuk TPS dan pemilihan tertentu / "
        "print one C.Hasil sheet (JSON) for a TPS and contest",
    )
    ex.add_argument("dir", metavar="DIR", help="direktori pemilu / election directory")
    ex.add_argument("--tps", required=True, help="kode TPS 13 digit / 13-digit TPS code")
    ex.add_argument("--contest", required=True,
                    choices=["ppwp", "dpr", "dpd", "dprd-prov", "dprd-kabkota"])
    ex.add_argument("--error", metavar="PATTERN", default=None,
                    help="sisipkan kesalahan 2024 / inject a 2024 error: digit-inserted, "
                    "digit-misread, digit-dropped, swap, total-mismatch")
    ex.add_argument("--seed", default=None,
                    help="benih acak (bawaan: benih manifest) / seed (default: manifest seed)")
    ex.add_argument("--canonical", action="store_true",
                    help="cetak byte kanonik persis (tanpa baris baru) / print the exact "
                    "canonical bytes (no newline)")
    ex.set_defaults(handler=_example)

    chk = sheet_sub.add_parser(
        "check", help="periksa lembar terhadap aturan / check a sheet against the rules",
        description="Periksa lembar C.Hasil. Kode keluar: 0 bersih, 1 diterima dengan tanda, "
        "2 ditolak / check a C.Hasil sheet. Exit: 0 clean, 1 accepted with flags, 2 rejected",
    )
    chk.add_argument("dir", metavar="DIR", help="direktori pemilu / election directory")
    chk.add_argument("file", metavar="FILE", help="berkas JSON, atau - untuk stdin / "
                     "JSON file, or - for stdin")
    chk.add_argument("--json", action="store_true", help="keluaran JSON / JSON output")
    chk.set_defaults(handler=_check)

    try:
        from saksi.keys.commands import add_sheet_sign  # type: ignore[import-not-found,attr-defined,unused-ignore]
    except ImportError:
        return
    add_sheet_sign(sheet_sub)


def _open_election(directory: str) -> Any:
    """The election at ``directory`` (a seam that tests replace)."""
    from saksi.election import Election  # type: ignore[import-not-found,attr-defined,unused-ignore]

    return Election.open(Path(directory))


def _example(args: argparse.Namespace) -> int:
    from saksi.election.model import Contest
    from saksi.sheets.canonical import encode, encode_pretty
    from saksi.sheets.generate import generate_sheet, rng_for
    from saksi.sheets.inject import PATTERNS, inject

    if args.error is not None and args.error not in PATTERNS:
        raise InputError("--error", args.error,
                         f"pola kesalahan tidak dikenal; pilih: {', '.join(PATTERNS)}",
                         f"unknown error pattern; choose one of: {', '.join(PATTERNS)}")
    election = _open_election(args.dir)
    contest = Contest(args.contest)
    tps = election.tps(args.tps)
    if contest not in set(election.contests_at(tps.code)):
        raise InputError("--contest", args.contest,
                         f"pemilihan {contest} tidak diselenggarakan di TPS {tps.code}",
                         f"the {contest} contest is not held at TPS {tps.code}")
    ballot = election.ballot(tps.code, contest)
    seed = args.seed if args.seed is not None else str(election.manifest.seed)
    sheet = generate_sheet(ballot, tps, seed)
    if args.error is not None:
        sheet = inject(sheet, args.error, rng_for(seed, tps.code, contest, "error", args.error))
    data = encode(sheet) if args.canonical else encode_pretty(sheet)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


def _read_input(path: str) -> bytes:
    from saksi.sheets.model import MAX_DOCUMENT_BYTES

    limit = MAX_DOCUMENT_BYTES + 1  # one byte more is enough to know it is too big
    if path == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError as exc:
        raise InputError("FILE", path, f"berkas tidak dapat dibaca: {exc.strerror}",
                         f"cannot read file: {exc.strerror}") from None


def _check(args: argparse.Namespace) -> int:
    import msgspec

    from saksi.sheets.canonical import is_canonical, sha256_hex
    from saksi.sheets.rules import parse_and_check

    raw = _read_input(args.file)
    election = _open_election(args.dir)
    sheet, result = parse_and_check(raw, election)
    if args.json:
        report = {
            "verdict": result.verdict,
            "sha256": sha256_hex(raw),
            "canonical": is_canonical(raw),
            "tps": sheet.tps if sheet else None,
            "contest": sheet.contest if sheet else None,
            "revision": sheet.revision if sheet else None,
            "results": result.results,
        }
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(report), indent=2))
        sys.stdout.write("\n")
    else:
        _print_human(sheet.tps if sheet else None, sheet.contest if sheet else None,
                     sheet.revision if sheet else None, result)
    return {"clean": EXIT_CLEAN, "flagged": EXIT_FLAGGED}.get(result.verdict, EXIT_REJECTED)


def _print_human(tps: str | None, contest: str | None, revision: int | None,
                 result: CheckResult) -> None:
    if tps is not None:
        print(f"TPS {tps} · {contest} · revisi/revision {revision}")
    print(f"hasil / verdict: {_VERDICT_WORDS[result.verdict]}")
    for r in result.results:
        values = ", ".join(f"{k}={v}" for k, v in r.values.items())
        print(f"  [{r.severity}] {r.code}  {values}")
        print(f"      id: {r.message_id}")
        print(f"      en: {r.message_en}")
