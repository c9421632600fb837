"""A kecamatan-scale election with keys, built once per test module and
copied for each test so tests never see each other's log entries."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from saksi.cli import main


@pytest.fixture(scope="session")
def built_election(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ingest") / "election"
    assert main(["election", "init", str(directory), "--scale", "kecamatan", "--seed", "11"]) == 0
    assert main(["keys", "init", str(directory)]) == 0
    return directory


@pytest.fixture
def election_dir(built_election: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "election"
    shutil.copytree(built_election, copy)
    yield copy
