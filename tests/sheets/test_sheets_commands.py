"""``saksi sheet example`` and ``saksi sheet check``: exit 0 clean, 1 flagged, 2 rejected."""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sheets_strategies import sample_ballot, sample_tps

from saksi.election.model import Ballot, Contest, Tps
from saksi.errors import NotFoundError, SaksiError
from saksi.sheets import commands
from saksi.sheets.canonical import decode, encode, is_canonical
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import Sheet

JAKARTA = sample_tps("3171011001001")


@dataclass
class _Manifest:
    seed: int = 2024


class FakeElection:
    """One TPS in Jakarta: four contests, no DPRD kab/kota."""

    manifest = _Manifest()

    def tps(self, code: str) -> Tps:
        if code != JAKARTA.code:
            raise NotFoundError("tps", code, "TPS tidak ada", "no such TPS")
        return JAKARTA

    def contests_at(self, tps_code: str) -> tuple[Contest, ...]:
        return (Contest.PPWP, Contest.DPR, Contest.DPD, Contest.DPRD_PROV)

    def ballot(self, tps_code: str, contest: Contest) -> Ballot:
        return sample_ballot(contest, tps_code)


def run(argv: list[str], stdin: bytes = b"") -> tuple[int, bytes, str]:
    """Run ``saksi <argv>`` with only this package's commands, as saksi.cli does."""
    parser = argparse.ArgumentParser(prog="saksi")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out, err = io.BytesIO(), io.StringIO()
    fake_in = io.TextIOWrapper(io.BytesIO(stdin))
    fake_out = io.TextIOWrapper(out, encoding="utf-8")
    real = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, err
    try:
        try:
            code = args.handler(args)
        except SaksiError as exc:
            print(f"saksi: {exc}", file=sys.stderr)
            code = 2
        fake_out.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = real
    fake_out.detach()  # keep ``out`` open for reading
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def fake_election(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "_open_election", lambda directory: FakeElection())


def test_example_prints_a_sheet_that_check_accepts_as_clean(tmp_path: Path) -> None:
    code, out, _ = run(["sheet", "example", "E", "--tps", JAKARTA.code, "--contest", "dpr"])
    assert code == 0
    sheet = decode(out)
    assert (sheet.tps, sheet.contest) == (JAKARTA.code, Contest.DPR)
    path = tmp_path / "sheet.json"
    path.write_bytes(out)
    code, text, _ = run(["sheet", "check", "E", str(path)])
    assert code == 0
    assert "BERSIH / clean" in text.decode()


def test_example_is_reproducible_and_can_print_canonical_bytes() -> None:
    argv = ["sheet", "example", "E", "--tps", JAKARTA.code, "--contest", "ppwp", "--seed", "7"]
    _, a, _ = run(argv)
    _, b, _ = run([*argv, "--canonical"])
    assert is_canonical(b) and not is_canonical(a)
    assert encode(decode(a)) == b


@pytest.mark.parametrize("pattern", ["digit-inserted", "digit-misread", "digit-dropped",
                                     "total-mismatch"])
def test_an_injected_error_exits_1_with_flags(pattern: str) -> None:
    _, sheet, _ = run(["sheet", "example", "E", "--tps", JAKARTA.code, "--contest", "dpd",
                       "--error", pattern])
    code, out, _ = run(["sheet", "check", "E", "-", "--json"], stdin=sheet)
    report = json.loads(out)
    assert code == 1 and report["verdict"] == "flagged"
    assert report["results"] and all(r["severity"] == "flag" for r in report["results"])
    assert report["tps"] == JAKARTA.code and report["canonical"] is False


def test_a_malformed_sheet_exits_2_naming_the_field() -> None:
    code, out, _ = run(["sheet", "check", "E", "-", "--json"], stdin=b'{"schema": 3}')
    report = json.loads(out)
    assert code == 2 and report["verdict"] == "rejected"
    assert report["results"][0]["code"] == "CH-SHAPE"
    assert report["results"][0]["fields"] == ["schema"]


def test_a_contest_not_held_at_the_tps_exits_2() -> None:
    sheet = encode(_kabkota_sheet())
    code, out, _ = run(["sheet", "check", "E", "-"], stdin=sheet)
    assert code == 2
    assert "CH-BALLOT" in out.decode() and "DITOLAK / rejected" in out.decode()


def _kabkota_sheet() -> Sheet:
    return generate_sheet(sample_ballot(Contest.DPRD_KABKOTA, JAKARTA.code), JAKARTA, 1)


def test_example_refuses_a_contest_not_held_or_an_unknown_pattern() -> None:
    code, _, err = run(["sheet", "example", "E", "--tps", JAKARTA.code, "--contest",
                        "dprd-kabkota"])
    assert code == 2 and "not held" in err
    code, _, err = run(["sheet", "example", "E", "--tps", JAKARTA.code, "--contest", "dpr",
                        "--error", "smudge"])
    assert code == 2 and "unknown error pattern" in err


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    code, _, err = run(["sheet", "check", "E", str(tmp_path / "missing.json")])
    assert code == 2 and "cannot read file" in err


def test_with_a_real_election_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    election = pytest.importorskip("saksi.election")
    monkeypatch.undo()  # use the real Election.open
    directory = tmp_path / "pemilu"
    built = election.build_election(directory, scale="kecamatan")
    tps = next(built.iter_tps())
    for contest in built.contests_at(tps.code):
        code, sheet, _ = run(["sheet", "example", str(directory), "--tps", tps.code,
                              "--contest", str(contest)])
        assert code == 0
        code, _, _ = run(["sheet", "check", str(directory), "-"], stdin=sheet)
        assert code == 0, contest
