"""Import of KPU's 2024 lists reproduces their counts exactly."""

from __future__ import annotations

import pytest

from saksi.election import Election
from saksi.election.model import Contest

pytestmark = pytest.mark.slow


def test_counts_are_exactly_kpus(kpu_national: Election) -> None:
    c = kpu_national.manifest.counts
    assert c["regions.provinsi"] == 38 + 1
    assert c["regions.kabkota"] == 514 + 129
    assert c["regions.kecamatan"] == 7_277 + 128
    assert c["regions.desa"] == 83_731 + 128
    assert c["tps.total"] == 822_116
    assert c["tps.domestic"] == 820_161
    assert 200_000_000 <= c["dpt.total"] - 0 <= 206_000_000
    assert c["dpt.max_tps"] <= 300
    assert (c["dpr.dapil"], c["dpr.seats"]) == (84, 580)


def test_overseas_letter_codes_resolve(kpu_national: Election) -> None:
    city = kpu_national.region("99AA")
    assert city.parent == "99" and "San Francisco" in city.name
    tps = kpu_national.tps("9901010001001")
    assert tps.name == "POS 001"
    dpr = kpu_national.dapil_of(tps.code, Contest.DPR)
    assert dpr is not None and dpr.name == "DKI JAKARTA II"
