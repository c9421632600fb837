from __future__ import annotations

import os
from pathlib import Path

import pytest

from saksi.election import Election, build_election, import_kpu

# The shared data sits beside the repository (``../shared``), wherever it is cloned.
KPU_DATA = Path(os.environ.get("SAKSI_KPU_DATA")
                or Path(__file__).resolve().parents[2].parent / "shared/data/kpu-2024")


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> Election:
    """The built-in national election, built once per session."""
    return build_election(tmp_path_factory.mktemp("national"), scale="nasional")


@pytest.fixture(scope="session")
def kpu_national(tmp_path_factory: pytest.TempPathFactory) -> Election:
    if not (KPU_DATA / "tps.csv.gz").is_file():
        pytest.skip(f"KPU 2024 data not present at {KPU_DATA}")
    return import_kpu(tmp_path_factory.mktemp("kpu"), wilayah=KPU_DATA / "wilayah.csv.gz",
                      tps=KPU_DATA / "tps.csv.gz")


@pytest.fixture(scope="session")
def bandung(tmp_path_factory: pytest.TempPathFactory) -> Election:
    """Kota Bandung (the kabkota default) from the built-in tree."""
    return build_election(tmp_path_factory.mktemp("bandung"), scale="kabkota")
