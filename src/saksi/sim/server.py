"""A local ``saksi serve`` in a subprocess (the demo and the benches use it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from saksi.errors import StateError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    return out


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc; 0 elsewhere)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError), open(f"/proc/{p}/statm") as f:
            total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        todo += _children(p)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants, live or
    reaped (a reaped child's time is in its parent's cutime/cstime; Linux
    /proc, 0 elsewhere)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, ValueError), open(f"/proc/{p}/stat") as f:
            # Fields after the parenthesised command name: utime, stime, cutime
            # and cstime are 14 to 17.
            fields = f.read().rpartition(")")[2].split()
            total += sum(int(x) for x in fields[11:15])
        todo += _children(p)
    return total / os.sysconf("SC_CLK_TCK")


class LocalServer:
    """``python -m saksi.service DIR`` on 127.0.0.1, started and stopped by us."""

    def __init__(self, directory: Path, *, port: int = 0, workers: int = 2,
                 args: list[str] | None = None, log: Path | None = None,
                 start_timeout: float = 120.0) -> None:
        self.directory = Path(directory)
        self.start_timeout = start_timeout
        self.port = port or free_port()
        self.workers = workers
        self.args = list(args or [])
        self.log = log or self.directory / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_rss = 0
        self._sampler: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> LocalServer:
        argv = [sys.executable, "-m", "saksi.service", str(self.directory), "--port",
                str(self.port), "--workers", str(self.workers), *self.args]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StateError("layanan berhenti saat mulai / the server exited on start: "
                                 + self.log_tail(), "the server exited on start")
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.get(self.url + "/api/v1/progress", timeout=2, trust_env=False)
                if r.status_code == 200:
                    self._sampler = threading.Thread(target=self._sample, daemon=True)
                    self._sampler.start()
                    return self
            time.sleep(0.1)
        self.stop()
        raise StateError("layanan tidak siap / the server did not become ready",
                         "the server did not become ready: " + self.log_tail())

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            if self.proc is not None:
                self.peak_rss = max(self.peak_rss, tree_rss_bytes(self.proc.pid))

    def cpu_seconds(self) -> float:
        """CPU time the server's processes have used so far."""
        return 0.0 if self.proc is None else tree_cpu_seconds(self.proc.pid)

    def rss(self) -> int:
        return 0 if self.proc is None else tree_rss_bytes(self.proc.pid)

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""

    def stop(self) -> None:
        self._stop.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def __enter__(self) -> LocalServer:
        return self.start(self.start_timeout)

    def __exit__(self, *exc: object) -> None:
        self.stop()
