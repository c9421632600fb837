"""``saksi bench verify`` prints the full check's speed against the Ed25519 floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saksi.audit.bench import SIGNATURES, ed25519_floor, signed_messages
from saksi.cli import main


def test_bench_verify_prints_the_run_and_its_floors(built: tuple[Path, str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = built
    code = main(["bench", "verify", "--dir", str(directory), "--log-vkey", vkey,
                 "--workers", "2", "--floor-seconds", "0.3"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] is True
    assert out["entries"] == out["sheets"] + out["controls"] > 0
    assert out["floor_signatures"] == SIGNATURES
    # the signature covers the PAE of the payload, which the envelope carries in base64
    assert 0 < out["mean_signed_message_bytes"] < out["mean_entry_bytes"]
    for ratio in (out["ratio_to_floor"], out["of_floor"], out["one_signature_floor"]["of_floor"],
                  out["one_signature_floor"]["ratio_to_floor"]):
        assert 0 < ratio < 10
    assert out["of_floor"] == pytest.approx(
        out["entries_per_cpu_s"] / out["ed25519_verify_floor_per_cpu_s"], rel=1e-2)


def test_the_floor_verifies_distinct_signatures_and_one_alike() -> None:
    distinct, one = ed25519_floor(1, seconds=0.2, size=100)
    assert all(v > 0 for v in (*distinct, *one))
    signed = signed_messages(50, count=8)
    assert len({public for public, _ in signed}) == len({m for _, m in signed}) == 8
