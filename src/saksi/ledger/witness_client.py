"""The log side of c2sp.org/tlog-witness: ask witnesses to cosign a checkpoint.

Witnesses are asked concurrently, each with a short timeout, and the whole
round is bounded by ``timeout`` seconds; a witness that is down or slow is
skipped (and backed off for ``backoff`` seconds, so a dead witness costs the
sequencer at most one timeout per back-off period).  A witness's latest
cosigned size is remembered, and corrected from ``409`` answers, so that the
next request carries the right consistency proof.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path

import httpx

from saksi.errors import InputError
from saksi.ledger.checkpoint import Checkpoint
from saksi.ledger.note import ALG_COSIGNATURE_V1, Note, NoteError, Verifier, b64encode
from saksi.ledger.storage import write_file

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 1.5
DEFAULT_BACKOFF = 10.0
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_SIZE_RE = re.compile(r"(0|[1-9][0-9]*)\n")

ProofFn = Callable[[int, int], list[bytes]]


@dataclass
class WitnessEntry:
    url: str
    vkey: str
    size: int = 0

    @property
    def verifier(self) -> Verifier:
        return Verifier.parse(self.vkey)


def load_witnesses(path: Path) -> list[WitnessEntry]:
    if not path.exists():
        return []
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or raw.get("version") != 1 or set(raw) != {"version", "witnesses"}:
        raise ValueError(f"{path}: unsupported witnesses file")
    out = []
    for w in raw["witnesses"]:
        if set(w) != {"url", "vkey", "size"}:
            raise ValueError(f"{path}: bad witness entry")
        out.append(WitnessEntry(str(w["url"]), str(w["vkey"]), int(w["size"])))
    return out


def save_witnesses(path: Path, witnesses: list[WitnessEntry], *, durable: bool = True) -> None:
    doc = {
        "version": 1,
        "witnesses": [{"url": w.url, "vkey": w.vkey, "size": w.size} for w in witnesses],
    }
    data = (json.dumps(doc, indent=2) + "\n").encode()
    if durable:
        write_file(path, data)
    else:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


def validate_witness(url: str, vkey: str) -> WitnessEntry:
    if not url.startswith(("http://", "https://")):
        raise InputError("url", url, "URL saksi harus http(s)", "witness URL must be http(s)")
    try:
        v = Verifier.parse(vkey)
    except NoteError as exc:
        raise InputError("vkey", vkey, "kunci saksi tidak sah", f"bad witness key: {exc}") from exc
    if v.alg != ALG_COSIGNATURE_V1:
        raise InputError(
            "vkey",
            vkey,
            "kunci saksi harus bertipe cosignature (0x04)",
            "witness key must be a cosignature/v1 key (type 0x04)",
        )
    return WitnessEntry(url.rstrip("/"), vkey, 0)


def build_request(old: int, proof: list[bytes], signed_checkpoint: str) -> bytes:
    lines = [f"old {old}"] + [b64encode(h) for h in proof]
    return ("\n".join(lines) + "\n\n" + signed_checkpoint).encode()


class WitnessClient:
    def __init__(
        self,
        witnesses: list[WitnessEntry],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        backoff: float = DEFAULT_BACKOFF,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.witnesses = witnesses
        self.timeout = timeout
        self.backoff = backoff
        self._on_change = on_change
        self._down_until: dict[str, float] = {}
        self._http = httpx.Client(timeout=timeout)
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(8, len(witnesses))))
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def cosign(self, signed: str, cp: Checkpoint, proof: ProofFn) -> list[str]:
        """Cosignature lines from the witnesses that answered in time."""
        now = time.monotonic()
        todo = [w for w in self.witnesses if self._down_until.get(w.url, 0.0) <= now]
        if not todo:
            return []
        futures = [self._pool.submit(self._one, w, signed, cp, proof) for w in todo]
        done, _ = wait_futures(futures, timeout=self.timeout)
        lines: list[str] = []
        for f in futures:
            if f in done and f.exception() is None:
                lines.extend(f.result())
        if self._on_change is not None:
            self._on_change()
        return lines

    def _one(self, w: WitnessEntry, signed: str, cp: Checkpoint, proof: ProofFn) -> list[str]:
        try:
            for _attempt in range(2):
                old = w.size if w.size <= cp.size else 0
                body = build_request(old, proof(old, cp.size) if old else [], signed)
                r = self._http.post(f"{w.url}/add-checkpoint", content=body)
                if r.status_code == 200:
                    got = self._accept(w, signed, cp, r.text)
                    with self._lock:
                        w.size = cp.size
                    return got
                if r.status_code == 409 and r.headers.get("content-type", "").startswith(
                    SIZE_CONTENT_TYPE
                ):
                    m = _SIZE_RE.fullmatch(r.text)
                    if m is None:
                        break
                    theirs = int(m.group(1))
                    with self._lock:
                        w.size = theirs
                    if theirs > cp.size or theirs == old:
                        break  # witness is ahead of us or disagrees at this size
                    continue
                log.warning("witness %s answered %s: %s", w.url, r.status_code, r.text[:200])
                break
        except (httpx.HTTPError, NoteError) as exc:
            log.warning("witness %s unavailable: %s", w.url, exc)
        self._down_until[w.url] = time.monotonic() + self.backoff
        return []

    def _accept(self, w: WitnessEntry, signed: str, cp: Checkpoint, body: str) -> list[str]:
        v = w.verifier
        note = Note.parse(cp.text + "\n" + body)
        good = [s.line for s in note.signatures if s.name == v.name and s.key_id == v.key_id]
        if not good or not note.verified_by([v]):
            raise NoteError(f"witness {w.url} returned no valid cosignature")
        return good
