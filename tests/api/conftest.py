"""Real HTTP: ``saksi serve`` (``python -m saksi.service``) in a subprocess on an
ephemeral port, against SQLite and a real PostgreSQL.

A kab/kota election with keys is built once per session; its database is
indexed once (SQLite file copied, PostgreSQL database used as a template), so
each server starts from the same state in about a second.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import REGION, Base, Kit, Server


def _cli(*argv: str) -> None:
    from saksi.cli import main

    assert main(list(argv)) == 0


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    from saksi.ingest.sequencer import Sequencer

    d = tmp_path_factory.mktemp("election") / "e"
    from saksi.election import build_election

    build_election(d, scale="kabkota", region=REGION).close()
    _cli("keys", "init", str(d))
    db = d / "saksi.sqlite"
    Sequencer.open(d, f"sqlite:///{db}").close()  # index keys init's log entries once
    return Base(d, db)


@pytest.fixture(scope="session")
def pg_template(base: Base) -> str:
    from saksi.ingest.sequencer import Sequencer
    from saksi.store.testing import fresh_database

    url = fresh_database()
    Sequencer.open(base.directory, url).close()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def election_dir(base: Base, tmp_path: Path) -> Path:
    d = tmp_path / "e"
    shutil.copytree(base.directory, d)
    return d


def db_url_for(backend: str, directory: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'saksi.sqlite'}"
    from saksi.store.testing import fresh_database

    return fresh_database(template=request.getfixturevalue("pg_template"))


@pytest.fixture
def db_url(backend: str, election_dir: Path, request: pytest.FixtureRequest) -> str:
    return db_url_for(backend, election_dir, request)


@pytest.fixture
def server(election_dir: Path, db_url: str, request: pytest.FixtureRequest
           ) -> Iterator[Server]:
    marker = request.node.get_closest_marker("serve_args")
    args = list(marker.args) if marker else []
    s = Server(election_dir, db_url, args).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def kit(base: Base) -> Kit:
    return Kit(base.directory)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "serve_args(*args): extra saksi serve arguments")
