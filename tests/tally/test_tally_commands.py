"""``saksi tally bench`` prints its figures as JSON."""

from __future__ import annotations

import argparse
import json

import pytest

from saksi.tally.commands import register


def test_tally_bench_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="saksi")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["tally", "bench", "--scale", "kecamatan", "--sheets", "10"])
    assert args.handler(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bench"] == "tally"
    assert out["ppwp"]["sheets"] == out["dpr"]["sheets"] == 10
    assert out["ppwp"]["first_per_s"] > 0
