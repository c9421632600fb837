"""``saksi bench ingest`` runs both pipelines on a small election and reports
figures that agree with what it submitted (the figures themselves are not judged)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saksi.cli import main
from saksi.sim.bench import second_half_rate


def test_bench_ingest_reports_both_pipelines_against_the_floor(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "ingest", "--scale", "kecamatan", "--tps", "12", "--seconds", "0.2",
                 "--concurrency", "8", "--dir", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    sheets = out["sheets"]
    assert sheets >= 12 * 3 and out["verify_floor_per_s"] > 0
    assert out["in_process"]["accepted"] == sheets
    http = out["http"]
    assert http["requests"] == 12 and http["accepted"] == sheets and http["refused"] == 0
    assert http["receipts_in_log"] == f"{sheets}/{sheets}" and http["totals_match"] is True
    assert http["problems"] == []
    assert http["server_cpu_us_per_sheet"] > 0 and http["results_get_per_s"] > 0
    assert http["receipt_to_national_ms_p99"] is not None
    assert http["sheets_per_s_second_half"] > 0
    for part in (out["in_process"], http):
        assert part["of_floor"] == pytest.approx(part["sheets_per_s"] / out["verify_floor_per_s"],
                                                 abs=2e-3)


@given(st.floats(10.0, 10_000.0), st.integers(4, 200), st.floats(0.0, 50.0))
def test_the_second_half_rate_is_the_rate_after_the_warm_up(
        rate: float, steps: int, warm_up: float) -> None:
    """A run that starts late (warm-up) then goes at a constant rate: the second
    half's rate is that rate, whatever the warm-up cost."""
    per = 10
    done = [(warm_up + per * i / rate, per * i) for i in range(1, steps + 1)]
    assert second_half_rate(done) == pytest.approx(rate, rel=1e-3, abs=0.06)  # rounded to 0.1
    assert second_half_rate([]) is None
    assert second_half_rate(done[:1]) is None


def test_a_second_run_in_the_same_dir_reuses_the_election_and_the_spool(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A national night takes minutes to build and index and half an hour to
    # sign: under --dir both are done once. "--phases ''" prepares only.
    args = ["bench", "ingest", "--scale", "kecamatan", "--tps", "6", "--seconds", "0.1",
            "--dir", str(tmp_path)]
    assert main([*args, "--phases", ""]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["index_keys_seconds"] is not None and first["prepare_seconds"] is not None
    assert "in_process" not in first and "http" not in first
    [spool] = tmp_path.glob("*.spool")
    written = spool.stat().st_mtime_ns
    assert main([*args, "--phases", "in-process"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["index_keys_seconds"] is None and second["prepare_seconds"] is None
    assert spool.stat().st_mtime_ns == written
    assert second["sheets"] == first["sheets"] == second["in_process"]["accepted"]
    assert "http" not in second


def test_an_unknown_phase_is_refused_by_name(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "ingest", "--scale", "kecamatan", "--phases", "http,warp",
                 "--dir", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "--phases" in err and "warp" in err
