"""The night itself: concurrent KPPS clients, then late revisions, then PPK corrections.

Each TPS is one client task (at most ``concurrency`` at once) that sends all
its contests' sheets as one request and keeps the receipts. The network is
not trusted to behave: every request is retried with exponential backoff and
jitter on transport errors, 429 (after its Retry-After), 503 and other 5xx;
some first requests are aborted by the client mid-flight (the server may or
may not have logged them — the retry must get the same receipts); some TPS
send the same bytes twice. The simulator keeps, for every (TPS, contest), the
document it knows to be current, which is what the published totals must
equal at the end (``saksi.sim.check``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx

from saksi.sim.work import Doc, Rates, TpsWork, corrects, init_worker, prepare_correction
from saksi.sim.work import prepare_tps as _prepare_tps

MAX_ATTEMPTS = 40
BACKOFF_BASE = 0.05  # seconds, doubled per attempt …
BACKOFF_CAP = 8.0  # … up to this
MAX_BATCH = 10  # documents per request the API takes (saksi.api.submit.MAX_DOCUMENTS)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A receipt the simulator keeps: the log index of one accepted document."""

    index: int
    leaf: str
    tps: str
    contest: str
    verdict: str
    received: float  # time.monotonic() when the receipt arrived


@dataclass
class Stats:
    tps_total: int
    phase: str = "siap / ready"
    tps_done: int = 0
    documents: int = 0  # distinct documents sent
    requests: int = 0  # HTTP attempts, retries included
    accepted: int = 0  # distinct documents accepted
    flagged: int = 0  # of which flagged by the rules
    refused: int = 0
    duplicates: int = 0  # receipts marked duplicate (resends and retried drops)
    retries: int = 0
    dropped: int = 0  # requests the client aborted mid-flight
    late: int = 0  # device revisions accepted
    corrections: int = 0  # PPK corrections accepted
    forged_refused: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    refusal_codes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started


def backoff(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: half fixed, half random, capped."""
    step: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(attempt, 30))
    return step / 2 + rng.uniform(0, step / 2)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header in delta-seconds form (None if absent or a date)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def batch_body(docs: Sequence[Doc]) -> bytes:
    return b"[" + b",".join(d.raw for d in docs) + b"]"


class Night:
    """Runs a simulated election night against ``url`` for the TPS ``codes``."""

    def __init__(self, url: str, directory: Path, codes: Sequence[str], *, seed: int = 2024,
                 rates: Rates | None = None, concurrency: int = 64, workers: int = 2,
                 timeout: float = 120.0,
                 on_receipt: Callable[[Accepted], None] | None = None) -> None:
        self.url = url.rstrip("/")
        self.directory = Path(directory)
        self.codes = list(codes)
        self.seed = seed
        self.rates = rates or Rates()
        self.concurrency = max(1, concurrency)
        self.workers = max(1, workers)
        self.timeout = timeout
        self.on_receipt = on_receipt
        self.stats = Stats(len(self.codes))
        self._clients: list[httpx.AsyncClient] = []  # one per concurrent device, in run()
        self.receipts: dict[str, Accepted] = {}  # by leaf hash
        self.current: dict[tuple[str, str], tuple[Doc, bool]] = {}  # → (document, flagged)
        self.forged: list[Doc] = []
        self._rng = random.Random(f"{seed}/network")

    # ------------------------------------------------------------ phases
    async def run(self) -> None:
        ctx = get_context("spawn")  # no fork of a process running an event loop
        with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=init_worker,
                                 initargs=(str(self.directory), self.seed, self.rates)) as pool:
            # One small client per concurrent device, as in the field: a single
            # shared httpx pool rescans all its connections for every request
            # and would make the load generator, not the server, the bottleneck.
            limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
            async with contextlib.AsyncExitStack() as stack:
                self._clients = [
                    await stack.enter_async_context(httpx.AsyncClient(
                        base_url=self.url, timeout=self.timeout, limits=limits,
                        trust_env=False))
                    for _ in range(max(1, self.concurrency))]
                self.stats.started = time.monotonic()
                late = await self._first_wave(pool)
                self.stats.phase = "revisi / late revisions"
                await self._each(late, self._send_late)
                self.stats.phase = "koreksi PPK / PPK corrections"
                await self._corrections(pool)
                self.stats.phase = "selesai / done"
                self.stats.finished = time.monotonic()

    async def _each(self, items: Sequence[Any],
                    job: Callable[[httpx.AsyncClient, Any], Awaitable[None]]) -> None:
        it: Iterator[Any] = iter(items)

        async def consumer(client: httpx.AsyncClient) -> None:
            for item in it:  # one shared iterator: each item is taken once
                await job(client, item)

        await asyncio.gather(*(consumer(client) for client in
                               self._clients[:max(1, min(len(self._clients), len(items)))]))

    async def _first_wave(self, pool: ProcessPoolExecutor) -> list[Doc]:
        self.stats.phase = "kiriman KPPS / KPPS submissions"
        loop = asyncio.get_running_loop()
        late: list[Doc] = []
        pairs = [(code, self.codes[n - 1]) for n, code in enumerate(self.codes)]

        async def one(client: httpx.AsyncClient, pair: tuple[str, str]) -> None:
            work: TpsWork = await loop.run_in_executor(pool, _prepare_tps, *pair)
            await self._send_tps(client, work)
            if work.late is not None:
                late.append(work.late)
            self.stats.tps_done += 1

        await self._each(pairs, one)
        return late

    async def _send_tps(self, client: httpx.AsyncClient, work: TpsWork) -> None:
        self.stats.documents += len(work.batch)
        first = await self._post(client, work.batch, drop=work.drop)
        if first is None:
            return
        self._take(work.batch, first)
        if work.duplicate:
            again = await self._post(client, work.batch)
            if again is not None:
                self._take(work.batch, again)
                if _pairs(first) != _pairs(again):
                    self.stats.errors.append(
                        f"TPS {work.code}: kiriman ulang mendapat tanda terima lain / a resend "
                        "got different receipts")
        if work.forged is not None:
            self.stats.documents += 1
            answers = await self._post(client, (work.forged,))
            if answers is not None:
                self._take((work.forged,), answers, forged=True)

    async def _send_late(self, client: httpx.AsyncClient, doc: Doc) -> None:
        self.stats.documents += 1
        answers = await self._post(client, (doc,))
        if answers is not None:
            self._take((doc,), answers)

    async def _corrections(self, pool: ProcessPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        by_kecamatan: dict[str, list[tuple[str, str, int]]] = {}
        for (tps, contest), (doc, flagged) in sorted(self.current.items()):
            if flagged and corrects(self.seed, self.rates, tps, contest):
                by_kecamatan.setdefault(tps[:6], []).append((tps, contest, doc.revision))

        async def ppk(client: httpx.AsyncClient, jobs: list[tuple[str, str, int]]) -> None:
            docs = [await loop.run_in_executor(pool, prepare_correction, *job) for job in jobs]
            self.stats.documents += len(docs)
            answers = await self._post(client, docs)
            if answers is not None:
                self._take(docs, answers)

        # One PPK client per kecamatan, its corrections in requests the API accepts.
        batches = [jobs[i:i + MAX_BATCH] for jobs in by_kecamatan.values()
                   for i in range(0, len(jobs), MAX_BATCH)]
        await self._each(batches, ppk)

    # ------------------------------------------------------------ one request
    async def _post(self, client: httpx.AsyncClient, docs: Sequence[Doc], *, drop: bool = False
                    ) -> list[dict[str, Any]] | None:
        """POST ``docs`` as one batch until answered; None after a permanent failure."""
        body = batch_body(docs)
        headers = {"content-type": "application/json"}
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self.stats.retries += 1
            self.stats.requests += 1
            start = time.perf_counter()
            wait: float | None
            try:
                request = client.post("/api/v1/sheets", content=body, headers=headers)
                if drop and attempt == 0:
                    # Abort mid-flight: the body is out, the answer never read.
                    r = await asyncio.wait_for(request, self._rng.uniform(0.0005, 0.005))
                else:
                    r = await request
            except TimeoutError:
                self.stats.dropped += 1
                await asyncio.sleep(backoff(0, self._rng))
                continue
            except httpx.TransportError:
                await asyncio.sleep(backoff(attempt, self._rng))
                continue
            self.stats.statuses[r.status_code] += 1
            if r.status_code == 200:
                self.stats.latencies.append(time.perf_counter() - start)
                answers: list[dict[str, Any]] = r.json()
                return answers
            if r.status_code == 429:
                wait = retry_after(r.headers.get("retry-after"))
                wait = (wait if wait is not None else backoff(attempt, self._rng))
                await asyncio.sleep(wait + self._rng.uniform(0, 0.1 + wait / 4))
                continue
            if r.status_code >= 500:
                wait = retry_after(r.headers.get("retry-after"))
                await asyncio.sleep(max(wait or 0.0, backoff(attempt, self._rng)))
                continue
            self.stats.errors.append(
                f"HTTP {r.status_code} untuk / for TPS {docs[0].tps}: {r.text[:200]}")
            return None
        self.stats.errors.append(f"TPS {docs[0].tps}: menyerah setelah / gave up after "
                                 f"{MAX_ATTEMPTS} attempts")
        return None

    def _take(self, docs: Sequence[Doc], answers: list[dict[str, Any]], *,
              forged: bool = False) -> None:
        if len(answers) != len(docs):
            self.stats.errors.append(
                f"TPS {docs[0].tps}: {len(answers)} jawaban untuk / answers for {len(docs)} "
                "documents")
            return
        now = time.monotonic()
        for doc, answer in zip(docs, answers, strict=True):
            if answer.get("status") != "accepted":
                self.stats.refused += 1
                for reason in answer.get("reasons", ()):
                    self.stats.refusal_codes[str(reason.get("code"))] += 1
                if forged:
                    self.stats.forged_refused += 1
                continue
            if forged:
                self.stats.errors.append(
                    f"TPS {doc.tps}: lembar bertanda tangan TPS lain diterima / a sheet signed "
                    "by another TPS's key was accepted")
            if answer.get("leaf_hash") != doc.leaf:
                self.stats.errors.append(
                    f"TPS {doc.tps}: tanda terima untuk dokumen lain / receipt names another "
                    f"document ({answer.get('leaf_hash')} ≠ {doc.leaf})")
                continue
            index = int(answer["index"])
            if answer.get("duplicate"):
                self.stats.duplicates += 1
            known = self.receipts.get(doc.leaf)
            if known is not None:
                if known.index != index:
                    self.stats.errors.append(
                        f"TPS {doc.tps}: dokumen yang sama di dua indeks / the same document at "
                        f"two indices ({known.index}, {index})")
                continue
            flagged = answer.get("verdict") == "flagged"
            receipt = Accepted(index, doc.leaf, doc.tps, doc.contest, str(answer.get("verdict")),
                               now)
            self.receipts[doc.leaf] = receipt
            self.stats.accepted += 1
            self.stats.flagged += flagged
            if doc.role == "kecamatan":
                self.stats.corrections += 1
            elif doc.revision > 1:
                self.stats.late += 1
            self.current[doc.tps, doc.contest] = (doc, flagged)
            if self.on_receipt is not None:
                self.on_receipt(receipt)

    # ------------------------------------------------------------ figures
    def open_flags(self) -> int:
        """Current sheets still flagged (visible, not counted)."""
        return sum(1 for _, flagged in self.current.values() if flagged)


def _pairs(answers: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    return [(a.get("status"), a.get("index"), a.get("leaf_hash")) for a in answers]
