"""Election night over real HTTP against ``saksi serve``: whatever the network
does (drops, resends, rate limits), every receipt is in the log, flagged sheets
are visible and not counted, PPK corrections bring them back, and the national
totals equal the sum of the accepted, unflagged current sheets."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from saksi.sim.run import run_night
from saksi.sim.server import LocalServer
from saksi.sim.work import Rates

KECAMATAN = "327301"  # 157 TPS of Kota Bandung


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from saksi.cli import main
    from saksi.election import build_election

    d = tmp_path_factory.mktemp("sim") / "e"
    build_election(d, scale="kecamatan", region=KECAMATAN).close()
    assert main(["keys", "init", str(d)]) == 0
    return d


def test_a_rough_night_loses_nothing_and_adds_up(election: Path, tmp_path: Path) -> None:
    d = tmp_path / "e"
    shutil.copytree(election, d)
    rates = Rates(error=0.15, duplicate=0.2, drop=0.2, late=0.1, correction=0.5, forged=0.05)
    # The default per-address rate limit stays on: the clients must honour 429 Retry-After.
    with LocalServer(d, workers=2, args=["--post-rate", "40", "--post-burst", "20"]) as server:
        night, check, result = run_night(server.url, d, seed=11, rates=rates, concurrency=24)
        assert result["errors"] == [] and check.problems == []
        assert check.receipts == result["accepted"] > 0
        assert check.receipts_in_log == check.receipts
        assert check.proofs_checked == min(32, check.receipts)
        assert check.totals_match, (check.expected, check.published)
        assert result["ok"]

        # The network misbehaved and the simulator coped.
        assert result["dropped"] > 0 and result["duplicates"] > 0
        assert result["late_revisions"] > 0 and result["corrections"] > 0
        assert result["refused"] == result["forged_refused"] > 0
        assert set(result["refusal_codes"]) == {"KEY-WRONG-TPS"}

        with httpx.Client(base_url=server.url, trust_env=False) as client:
            # Flagged sheets nobody corrected are visible and not counted.
            flagged = [k for k, (_, f) in night.current.items() if f]
            assert flagged and result["flagged_open"] == len(flagged)
            tps, contest = flagged[0]
            doc = client.get(f"/api/v1/tps/{tps}").json()
            [entry] = [c for c in doc["contests"] if c["contest"] == contest]
            assert entry["status"] == "flagged"

            # A PPK correction is the current, counted version, after the device's.
            corrected = [(k, d_) for k, (d_, _) in night.current.items()
                         if d_.role == "kecamatan"]
            assert corrected
            (tps, contest), fix = corrected[0]
            doc = client.get(f"/api/v1/tps/{tps}").json()
            [entry] = [c for c in doc["contests"] if c["contest"] == contest]
            assert entry["status"] == "current"
            assert entry["current"]["index"] == night.receipts[fix.leaf].index
            assert entry["history"][-1]["role"] == "kecamatan"
            assert entry["history"][0]["superseded_by"] is not None

        # Sending the same night again changes nothing: every receipt comes back the same.
        again, check2, result2 = run_night(server.url, d, seed=11, rates=rates,
                                           concurrency=24)
        assert result2["ok"] and check2.totals_match
        assert {k: r.index for k, r in again.receipts.items()} == \
            {k: r.index for k, r in night.receipts.items()}


def test_demo_once_runs_the_night_and_its_totals_match(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from saksi.cli import main

    d = tmp_path / "demo"
    assert main(["demo", "--once", "--scale", "kecamatan", "--port", "0", "--dir", str(d)]) == 0
    out = capsys.readouterr().out
    assert "national ppwp totals match: ✓" in out
    assert (d / ".saksi-demo").exists()


def test_demo_refuses_a_directory_it_did_not_make(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from saksi.cli import main

    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["demo", "--once", "--scale", "kecamatan", "--port", "0", "--dir",
                 str(tmp_path)]) == 2
    assert (tmp_path / "precious.txt").read_text() == "keep me"
