"""Helpers of the HTTP tests: a ``saksi serve`` subprocess and signed sheets."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from saksi.election import Election
from saksi.election.model import Contest
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_authority, load_master
from saksi.keys.ids import Role
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import Sheet

REGION = "3273"  # Kota Bandung: 7,409 TPS


@dataclass
class Base:
    directory: Path
    sqlite: Path
    pg_template: str | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    directory: Path
    db_url: str
    args: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        self.port = free_port()
        log = (self.directory.parent / f"server-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "saksi.service", str(self.directory), "--port",
             str(self.port), "--db", self.db_url, "--cache-seconds", "0",
             *self.args],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/api/v1/progress", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_text()}")

    def log_text(self) -> str:
        return (self.directory.parent / f"server-{self.port}.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL the sequencer only (its workers die with it)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):  # belt and braces
            os.killpg(self.proc.pid, signal.SIGKILL)

    def client(self, **kw: Any) -> httpx.Client:
        kw.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url, **kw)


class Kit:
    """Sheets and envelopes for an election, signed as a device, PPK or forger."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.election = Election.open(directory)
        self.master = load_master(directory, None)
        self.tps = [t.code for t in self.election.iter_tps()]

    def sheet(self, tps: str, contest: Contest | str, *, revision: int = 1, seed: int = 0,
              reason: str | None = None) -> Sheet:
        t = self.election.tps(tps)
        s = generate_sheet(self.election.ballot(tps, Contest(contest)), t, seed,
                           revision=revision)
        if reason is not None:
            import msgspec

            s = msgspec.structs.replace(s, reason=reason)
        return s

    def contests(self, tps: str) -> tuple[Contest, ...]:
        return tuple(self.election.contests_at(tps))

    def device(self, sheet: Sheet, *, as_tps: str | None = None) -> bytes:
        key = device_key(self.master, as_tps or sheet.tps)
        return env.encode(env.sign(TYPE_SHEET, encode(sheet), [key]))

    def ppk(self, sheet: Sheet) -> bytes:
        key = load_authority(self.directory, Role.KECAMATAN, sheet.tps[:6], None)
        return env.encode(env.sign(TYPE_SHEET, encode(sheet), [key]))

    def forged(self, sheet: Sheet) -> bytes:
        from nacl.signing import SigningKey

        # A signature over the sheet by a key that claims the device's key id.
        real = env.decode(self.device(sheet))
        fake = env.sign(TYPE_SHEET, encode(sheet), [SigningKey(b"\x07" * 32)])
        forged = env.Envelope(payload=real.payload, payload_type=real.payload_type,
                              signatures=(env.Signature(keyid=real.signatures[0].keyid,
                                                        sig=fake.signatures[0].sig),))
        return env.encode(forged)

    def tps_batch(self, tps: str, seed: int = 0) -> list[bytes]:
        return [self.device(self.sheet(tps, c, seed=seed)) for c in self.contests(tps)]


def post(client: httpx.Client, raws: list[bytes], *, ndjson: bool = False) -> httpx.Response:
    if ndjson:
        return client.post("/api/v1/sheets", content=b"\n".join(raws) + b"\n",
                           headers={"content-type": "application/x-ndjson"})
    body = raws[0] if len(raws) == 1 else b"[" + b",".join(raws) + b"]"
    return client.post("/api/v1/sheets", content=body,
                       headers={"content-type": "application/json"})
