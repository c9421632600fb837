"""After the night: is every receipt in the log, and do the totals add up?

Only what a client can see over HTTP is used: the signed checkpoint, the
log's tiles (whose root must equal the checkpoint's: then the leaf hash at
each receipt's index is the one the log committed to), inclusion proofs from
the API for a sample of receipts, and the national results document.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from saksi.ledger import merkle
from saksi.ledger.checkpoint import Checkpoint, TlogProof, open_checkpoint
from saksi.ledger.note import NoteError, Verifier
from saksi.ledger.tiles import TileReader
from saksi.sim.night import Accepted
from saksi.sim.work import Doc


@dataclass(frozen=True)
class Expected:
    """The sum of the current, unflagged sheets of one contest, as the simulator knows them."""

    total: int
    valid: int
    choices: dict[int, int]
    sheets_in: int
    sheets_flagged: int


def expected_totals(current: Mapping[tuple[str, str], tuple[Doc, bool]], contest: str
                    ) -> Expected:
    total = valid = sheets = flagged = 0
    choices: Counter[int] = Counter()
    for (_, c), (doc, is_flagged) in current.items():
        if c != contest:
            continue
        sheets += 1
        if is_flagged:
            flagged += 1
            continue
        total += doc.total
        valid += doc.valid
        for number, votes in doc.choices:
            choices[number] += votes
    return Expected(total, valid, {k: v for k, v in choices.items() if v}, sheets, flagged)


@dataclass
class Verification:
    log_size: int = 0
    receipts: int = 0
    receipts_in_log: int = 0
    proofs_checked: int = 0
    totals_match: bool = False
    as_of_index: int = -1
    expected: dict[str, Any] = field(default_factory=dict)
    published: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.problems and self.totals_match
                and self.receipts_in_log == self.receipts)


def log_identity(directory: Path) -> tuple[str, str]:
    """(vkey, origin) of the election's log, from the key it publishes in
    ``log/vkey`` (the origin is the key's name)."""
    from saksi.ledger.log import published_vkey

    vkey = published_vkey(directory)
    return vkey, Verifier.parse(vkey).name


def _fetcher(client: httpx.Client) -> Any:
    def fetch(rel: str) -> bytes:
        r = client.get(f"/log/{rel}")
        if r.status_code == 404:
            raise FileNotFoundError(rel)
        r.raise_for_status()
        return r.content
    return fetch


def verify_night(url: str, receipts: Iterable[Accepted],
                 current: Mapping[tuple[str, str], tuple[Doc, bool]], *, vkey: str,
                 origin: str | None, proofs: int = 32, seed: int = 0,
                 wait_seconds: float = 30.0, contest: str = "ppwp") -> Verification:
    out = Verification()
    kept = list(receipts)
    out.receipts = len(kept)
    verifier = Verifier.parse(vkey)
    with httpx.Client(base_url=url.rstrip("/"), timeout=60, trust_env=False) as client:
        try:
            cp, _ = open_checkpoint(client.get("/api/v1/checkpoint").text, verifier, origin)
        except NoteError as exc:
            out.problems.append(f"checkpoint tidak sah / invalid checkpoint: {exc}")
            return out
        out.log_size = cp.size
        _check_coverage(client, cp, kept, out)
        _check_proofs(client, kept, out, verifier=verifier, origin=origin, count=proofs,
                      seed=seed)
        _check_totals(client, kept, current, out, contest=contest, wait_seconds=wait_seconds)
    return out


def _check_coverage(client: httpx.Client, cp: Checkpoint, kept: list[Accepted],
                    out: Verification) -> None:
    reader = TileReader(_fetcher(client), cache_tiles=1 << 16)
    if reader.root(cp.size) != cp.root:
        out.problems.append("ubin log tidak cocok dengan checkpoint / the log tiles do not "
                            "hash to the signed checkpoint's root")
        return
    for r in sorted(kept, key=lambda a: a.index):
        if r.index >= cp.size:
            out.problems.append(f"indeks {r.index} di luar log / beyond the log (size {cp.size})")
        elif reader.level_hash(0, r.index, cp.size) != bytes.fromhex(r.leaf):
            out.problems.append(f"entri {r.index} bukan dokumen yang diterima / entry {r.index} "
                                f"is not the document its receipt names (TPS {r.tps})")
        else:
            out.receipts_in_log += 1


def _check_proofs(client: httpx.Client, kept: list[Accepted], out: Verification, *,
                  verifier: Verifier, origin: str | None, count: int, seed: int) -> None:
    sample = random.Random(seed).sample(kept, min(count, len(kept)))
    for r in sample:
        resp = client.get(f"/api/v1/tps/{r.tps}/proof", params={"index": r.index})
        try:
            resp.raise_for_status()
            proof = TlogProof.parse(resp.text)
            pcp, _ = open_checkpoint(proof.checkpoint, verifier, origin)
            ok = proof.index == r.index and merkle.verify_inclusion(
                r.index, pcp.size, bytes.fromhex(r.leaf), proof.proof, pcp.root)
        except (httpx.HTTPError, NoteError, ValueError) as exc:
            out.problems.append(f"bukti entri {r.index} / proof of entry {r.index}: {exc}")
            continue
        if not ok:
            out.problems.append(f"bukti inklusi entri {r.index} gagal / inclusion proof of "
                                f"entry {r.index} fails")
        else:
            out.proofs_checked += 1


def national(client: httpx.Client, contest: str = "ppwp") -> dict[str, Any]:
    r = client.get("/api/v1/results/0", params={"contest": contest})
    r.raise_for_status()
    doc: dict[str, Any] = r.json()
    return doc


def published_figures(doc: Mapping[str, Any]) -> dict[str, Any]:
    totals, progress = doc["totals"], doc["progress"]
    return {"total": totals["total"], "valid": totals["valid"],
            "choices": {int(c["number"]): int(c["votes"]) for c in doc["choices"]
                        if c["votes"]},
            "sheets_in": progress["sheets_in"], "sheets_flagged": progress["sheets_flagged"]}


def _check_totals(client: httpx.Client, kept: list[Accepted],
                  current: Mapping[tuple[str, str], tuple[Doc, bool]], out: Verification, *,
                  contest: str, wait_seconds: float) -> None:
    exp = expected_totals(current, contest)
    out.expected = {"total": exp.total, "valid": exp.valid, "choices": exp.choices,
                    "sheets_in": exp.sheets_in, "sheets_flagged": exp.sheets_flagged}
    last = max((r.index for r in kept if r.contest == contest), default=-1)
    deadline = time.monotonic() + wait_seconds
    while True:
        # Workers cache published documents briefly: wait until the one we read
        # reflects our last receipt, then it must match exactly.
        doc = national(client, contest)
        out.as_of_index = int(doc["as_of_index"])
        out.published = published_figures(doc)
        out.totals_match = out.published == out.expected
        if out.totals_match or out.as_of_index >= last or time.monotonic() > deadline:
            return
        time.sleep(0.2)
