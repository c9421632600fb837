"""One signed, ingested kecamatan election per session; each test gets a fresh copy."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from audit_support import build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("audit") / "election"
    vkey = build(directory, tps_limit=30)
    return directory, vkey


@pytest.fixture
def election(built: tuple[Path, str], tmp_path: Path) -> Iterator[tuple[Path, str]]:
    copy = tmp_path / "election"
    shutil.copytree(built[0], copy)
    yield copy, built[1]
