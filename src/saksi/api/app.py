"""The HTTP API, run by every worker process (see docs/api.md).

Workers never write: a submission is pre-checked here (envelope, rules,
signatures — the parallel part) and forwarded to the sequencer over its Unix
socket; reads serve the public documents the sequencer renders from its live
tally (asked for over the same socket, kept in a short per-worker cache so a
popular page costs the sequencer a render per ``cache_seconds``), the log's
static files and streamed downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from saksi.api.limits import (
    SignerLimits,
    TokenBuckets,
    bucket_key,
    client_address,
    parse_networks,
    rate_limited,
    retry_after,
    submitter,
)
from saksi.api.problems import ApiProblem, problem_response
from saksi.api.submit import MAX_BODY, split_documents
from saksi.election import Election
from saksi.election.model import Contest, Level
from saksi.errors import SaksiError
from saksi.ingest.outcome import Item, Problem, Published, Receipt
from saksi.ingest.precheck import KeyCache, Layouts, precheck
from saksi.ingest.sequencer import duplicate_receipt, etag_of
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.ids import Role
from saksi.ledger.entries import PublishedEntries, published_size, published_text
from saksi.service.wire import Request as WireRequest
from saksi.service.wire import Response as WireResponse
from saksi.service.wire import decode_response, frame, read_frame
from saksi.store import Store, open_store

RESULTS_CACHE = "public, max-age=2, stale-while-revalidate=30"
DOWNLOAD_CACHE = "public, max-age=30, stale-while-revalidate=300"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL_TILE = "public, max-age=5"
ENV_PREFIX = "SAKSI_API_"
API_PREFIXES = ("/api/", "/log/", "/openapi")


@dataclass(frozen=True)
class ApiConfig:
    """A worker's settings; the limits' defaults are argued in docs/api.md ("Limits")."""

    directory: Path
    db_url: str
    socket: Path
    # Requests per second per client address, per worker (0: off): a flood
    # guard only. Behind carrier-grade NAT thousands of TPS share an address;
    # even all of a city's TPS at the peak send a few requests per second.
    post_rate: float = 200.0
    post_burst: float = 400.0
    max_inflight: int = 256  # forwarded requests waiting for the sequencer, per worker
    cache_seconds: float = 0.5  # per-worker cache of rendered documents
    sequencer_timeout: float = 30.0
    # Networks of the proxies whose X-Forwarded-For is believed (CIDR strings).
    trusted_proxies: tuple[str, ...] = ()
    # Documents per second per device key, per worker (0: off). A TPS sends
    # its 5 sheets and perhaps a revision in a whole night: a burst of 30
    # covers that batch resent 5 times over (lost answers, each resend is
    # charged); 1/s lets a device that looped recover within half a minute,
    # and a device flooding costs the sequencer 1 of its ~500-1,000 sheets/s.
    device_rate: float = 1.0
    device_burst: float = 30.0

    def to_env(self) -> dict[str, str]:
        return {ENV_PREFIX + k.upper(): ",".join(v) if isinstance(v, tuple) else str(v)
                for k, v in self.__dict__.items()}

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ApiConfig:
        e = dict(os.environ if env is None else env)

        def get(name: str) -> str:
            return e[ENV_PREFIX + name.upper()]

        return cls(Path(get("directory")), get("db_url"), Path(get("socket")),
                   post_rate=float(get("post_rate")), post_burst=float(get("post_burst")),
                   max_inflight=int(get("max_inflight")),
                   cache_seconds=float(get("cache_seconds")),
                   sequencer_timeout=float(get("sequencer_timeout")),
                   trusted_proxies=tuple(n for n in get("trusted_proxies").split(",") if n),
                   device_rate=float(get("device_rate")),
                   device_burst=float(get("device_burst")))


class _State:
    """Per-worker resources, opened lazily on first use."""

    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self._election: Election | None = None
        self._store: Store | None = None
        self._keys: KeyCache | None = None
        self._layouts: Layouts | None = None
        self.buckets = TokenBuckets(config.post_rate, config.post_burst)
        self.trusted = parse_networks(config.trusted_proxies)
        # Key ids of authorities (not devices) seen by the key cache: a few
        # thousand at most, so kept apart rather than a role per key.
        self._authorities: set[str] = set()
        self.signers = SignerLimits(config.device_rate, config.device_burst,
                                    self._authorities.__contains__)
        self.inflight = 0
        self._cache: dict[tuple[str, str], tuple[float, Published | None]] = {}
        # One request to the sequencer per document however many readers miss
        # the cache at the same moment.
        self._pending: dict[tuple[str, str], asyncio.Future[Published | None]] = {}
        # Idle connections to the sequencer, reused: the server answers requests
        # on one connection in order, so an idle one carries the next request.
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.max_idle = 64

    @property
    def election(self) -> Election:
        if self._election is None:
            self._election = Election.open(self.config.directory)
        return self._election

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.config.db_url, readonly=True)
        return self._store

    @property
    def layouts(self) -> Layouts:
        if self._layouts is None:
            self._layouts = Layouts(self.election, self.election.parties)
        return self._layouts

    @property
    def keys(self) -> KeyCache:
        if self._keys is None:
            def fetch(keyid: str) -> bytes | None:
                row = self.store.key(keyid)
                if row is None:
                    return None
                if row.role != Role.DEVICE:
                    self._authorities.add(keyid)
                return row.public_key
            self._keys = KeyCache(fetch)
        return self._keys

    async def published(self, kind: str, key: str) -> Published | None:
        return (await self.published_many([(kind, key)]))[0]

    async def published_many(self, names: Sequence[tuple[str, str]]
                             ) -> list[Published | None]:
        """The documents as the sequencer renders them now (or at most
        ``cache_seconds`` ago); ``None`` for one that does not exist."""
        now = time.monotonic()
        found: dict[tuple[str, str], Published | None] = {}
        waiting: dict[tuple[str, str], asyncio.Future[Published | None]] = {}
        missing: list[tuple[str, str]] = []
        for name in dict.fromkeys(names):
            hit = self._cache.get(name)
            if hit is not None and now - hit[0] < self.config.cache_seconds:
                found[name] = hit[1]
            elif name in self._pending:
                waiting[name] = self._pending[name]
            else:
                missing.append(name)
        if missing:
            loop = asyncio.get_running_loop()
            futures = {n: loop.create_future() for n in missing}
            self._pending.update(futures)
            try:
                response = await _call(self, WireRequest(documents=missing))
                if len(response.documents) != len(missing):
                    raise _unavailable("pencatat menjawab tidak lengkap",
                                       "the sequencer's answer was incomplete")
                if len(self._cache) > 50_000:
                    self._cache.clear()
                stamp = time.monotonic()
                for n, doc in zip(missing, response.documents, strict=True):
                    self._cache[n] = (stamp, doc)
                    found[n] = doc
                    futures[n].set_result(doc)
            except BaseException as exc:
                for f in futures.values():
                    if not f.done():
                        f.set_exception(exc)
                        f.exception()  # retrieved: no "never retrieved" warning
                raise
            finally:
                for n in missing:
                    self._pending.pop(n, None)
        for name, future in waiting.items():
            found[name] = await asyncio.shield(future)
        return [found[n] for n in names]

    def idle_connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """An idle connection the sequencer has not closed (e.g. by restarting)."""
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    def close(self) -> None:
        while self.idle:
            self.idle.pop()[1].close()
        if self._store is not None:
            self._store.close()
        if self._election is not None:
            self._election.close()


# ------------------------------------------------------------------ helpers
def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def cached(request: Request, body: bytes, etag: str, cache_control: str,
           media_type: str = "application/json") -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type=media_type)


def _not_found(field: str, value: object, what_id: str, what_en: str) -> ApiProblem:
    return ApiProblem(404, "not-found", f"{what_id} {field}={value!s} tidak ada",
                      f"no {what_en} {field}={value!s}", field=field, value=value)


def _contest(value: str | None, default: str | None = "ppwp") -> Contest:
    raw = value if value is not None else default
    try:
        return Contest(raw or "")
    except ValueError:
        raise ApiProblem(400, "invalid-parameter", f"pemilihan tidak dikenal: {raw}",
                         f"unknown contest: {raw}; one of " + ", ".join(c.value for c in
                                                                         Contest),
                         field="contest", value=raw) from None


async def _serve_published(request: Request, state: _State, kind: str, key: str
                           ) -> Response | None:
    doc = await state.published(kind, key)
    if doc is None:
        return None
    return cached(request, doc.body, doc.etag, RESULTS_CACHE)


# ------------------------------------------------------------------ app
def build_app(config: ApiConfig) -> Starlette:
    state = _State(config)

    async def submit(request: Request) -> Response:
        client = client_address(request.client.host if request.client else None,
                                request.headers.getlist("x-forwarded-for"), state.trusted)
        wait = state.buckets.take(bucket_key(client))
        if wait > 0:
            raise ApiProblem(
                429, "rate-limited",
                "terlalu banyak kiriman dari alamat ini; coba lagi sebentar lagi",
                "too many submissions from this address; retry shortly",
                headers={"Retry-After": retry_after(wait)}, field="client", value=client)
        body = await _read_body(request)
        raws = split_documents(body, request.headers.get("content-type"))
        election, keys, layouts = state.election, state.keys, state.layouts
        items = [precheck(raw, election, keys, layouts) for raw in raws]
        admission = state.signers.admit(items)
        outcomes: list[Any] = [None] * len(items)
        held = admission.limited
        if held:
            # Over its limit, a document the log already holds still gets its
            # receipt; nothing new is sent on.
            known = await _logged(state, [items[i] for i in held])
            for i in held:
                receipt = known.get(items[i].leaf_hash)
                outcomes[i] = (rate_limited(items[i], admission.waits[i]) if receipt is None
                               else receipt)
        ahead = [it for it, o in zip(items, outcomes, strict=True) if o is None]
        try:
            answers = iter(await _forward(state, ahead) if ahead else [])
        except ApiProblem:
            state.signers.refund(admission)
            raise
        outcomes = [next(answers) if o is None else o for o in outcomes]
        out: list[dict[str, Any]] = []
        for outcome in outcomes:
            record: dict[str, Any] = msgspec.to_builtins(outcome)
            if record.get("status") == "accepted" and record.get("tps"):
                record["proof"] = f"/api/v1/tps/{record['tps']}/proof?index={record['index']}"
            out.append(record)
        sent = any(it.refusal is None for it in ahead)
        if held and not sent and not any(isinstance(o, Receipt) for o in outcomes):
            # Nothing of this request went on: the whole of it is to be resent.
            raise ApiProblem(
                429, "rate-limited",
                "terlalu banyak dokumen dari kunci penanda tangan ini; tidak ada yang dicatat "
                "— kirim ulang setelah Retry-After",
                "too many documents from this signing key; nothing was logged — resend after "
                "Retry-After",
                headers={"Retry-After": retry_after(max(admission.waits))},
                field="signatures", value=submitter(items[held[0]].raw),
                documents=out)
        return Response(msgspec.json.encode(out), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def results(request: Request) -> Response:
        region = request.path_params["region"]
        contest = _contest(request.query_params.get("contest"))
        found = await _serve_published(request, state, "region", f"{contest}/{region}")
        if found is not None:
            return found
        try:
            state.election.region(region)
        except SaksiError:
            raise _not_found("region", region, "wilayah", "region") from None
        raise ApiProblem(404, "not-found",
                         f"pemilihan {contest} tidak diselenggarakan di wilayah {region}",
                         f"the {contest} contest is not held in region {region}",
                         field="contest", value=str(contest))

    async def dapil(request: Request) -> Response:
        code = request.path_params["code"]
        found = await _serve_published(request, state, "dapil", code)
        if found is None:
            raise _not_found("dapil", code, "dapil", "electoral district")
        return found

    async def seats(request: Request) -> Response:
        contest = _contest(request.path_params["contest"], None)
        found = await _serve_published(request, state, "seats", str(contest))
        if found is None:
            raise _not_found("contest", str(contest), "proyeksi kursi", "seat projection")
        return found

    async def progress(request: Request) -> Response:
        found = await _serve_published(request, state, "progress", "0")
        if found is None:
            raise ApiProblem(503, "not-ready", "hasil belum diterbitkan",
                             "results are not published yet",
                             headers={"Retry-After": "2"})
        return found

    async def tps(request: Request) -> Response:
        code = request.path_params["code"]
        found = await _serve_published(request, state, "tps", code)
        if found is not None:
            return found
        try:
            t = state.election.tps(code)
            contests = state.election.contests_at(code)
        except SaksiError:
            raise _not_found("tps", code, "TPS", "polling station") from None
        prog = await state.published("progress", "0")
        body = msgspec.json.encode({
            "schema": "saksi/results/v1", "kind": "tps",
            "tps": {"code": t.code, "name": t.name, "level": str(Level.TPS)},
            "dpt": t.dpt, "as_of_index": -1 if prog is None else prog.as_of_index,
            "contests": [{"contest": str(c), "status": "missing", "current": None,
                          "sheet": None, "history": []} for c in contests],
            "documents": []})
        return cached(request, body, etag_of(body), RESULTS_CACHE)

    async def proof(request: Request) -> Response:
        from saksi.ledger.checkpoint import TlogProof
        from saksi.ledger.tiles import TileReader

        code = request.path_params["code"]
        raw_index = request.query_params.get("index", "")
        if not raw_index.isdigit():
            raise ApiProblem(400, "invalid-parameter",
                             "parameter index wajib berupa bilangan bulat ≥ 0",
                             "parameter index must be an integer ≥ 0",
                             field="index", value=raw_index)
        index = int(raw_index)
        row = state.store.document(index)
        if row is None or row.tps != code:
            raise ApiProblem(404, "not-found",
                             f"tidak ada dokumen TPS {code} pada indeks log {index}",
                             f"no document of TPS {code} at log index {index}",
                             field="index", value=index)
        log_dir = config.directory / "log"
        checkpoint = published_text(log_dir)
        size = published_size(checkpoint)
        hashes = TileReader.for_dir(log_dir).inclusion_proof(index, size)
        body = TlogProof(index, tuple(hashes), checkpoint).render().encode()
        return cached(request, body, etag_of(body), "public, max-age=2",
                      "text/plain; charset=utf-8")

    async def checkpoint(request: Request) -> Response:
        body = (config.directory / "log" / "checkpoint").read_bytes()
        return cached(request, body, etag_of(body), "no-cache", "text/plain; charset=utf-8")

    async def log_file(request: Request) -> Response:
        rel = request.path_params["path"]
        root = (config.directory / "log").resolve()
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise _not_found("path", rel, "berkas log", "log file")
        body = path.read_bytes()
        if rel == "checkpoint":
            return cached(request, body, etag_of(body), "no-cache",
                          "text/plain; charset=utf-8")
        policy = PARTIAL_TILE if ".p/" in rel else IMMUTABLE
        return cached(request, body, etag_of(body), policy, "application/octet-stream")

    async def download(request: Request) -> Response:
        from saksi.api.download import LEVELS, stream_rows

        name = request.path_params["name"]
        stem, _, fmt = name.rpartition(".")
        if fmt not in ("csv", "json"):
            raise ApiProblem(404, "not-found", f"format unduhan tidak dikenal: {fmt}",
                             f"unknown download format: {fmt} (csv or json)",
                             field="format", value=fmt)
        contest = _contest(stem, None)
        level = request.query_params.get("level", "provinsi")
        if level not in LEVELS:
            raise ApiProblem(400, "invalid-parameter", f"tingkat tidak dikenal: {level}",
                             f"unknown level: {level}; one of " + ", ".join(LEVELS),
                             field="level", value=level)
        prog = await state.published("progress", "0")
        as_of = -1 if prog is None else prog.as_of_index
        etag = '"' + hashlib.sha256(f"{as_of}/{contest}/{level}/{fmt}".encode()
                                    ).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": DOWNLOAD_CACHE,
                   "Content-Disposition": f'attachment; filename="{contest}-{level}.{fmt}"'}
        if _etag_matches(request, etag):
            return Response(status_code=304, headers=headers)
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        # Its own reader: a download walks the log in order, a bundle at a time.
        entries = PublishedEntries(config.directory / "log")
        rows = stream_rows(state.election, state.store, contest, level, fmt,
                           fetch=state.published_many, entry_of=entries.entry)
        return StreamingResponse(rows, media_type=media, headers=headers)

    async def openapi(request: Request) -> Response:
        from saksi.api.openapi import document

        body = msgspec.json.encode(document())
        return cached(request, body, etag_of(body), "public, max-age=300")

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return problem_response(exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return problem_response(ApiProblem(
                405, "method-not-allowed", f"metode {request.method} tidak diizinkan di sini",
                f"method {request.method} is not allowed here",
                headers=dict(exc.headers or {}), field="method", value=request.method))
        return problem_response(ApiProblem(
            exc.status_code, "not-found" if exc.status_code == 404 else "http-error",
            f"alamat {request.url.path} tidak ada", f"no resource at {request.url.path}",
            field="path", value=request.url.path))

    async def on_error(request: Request, exc: Exception) -> Response:
        return problem_response(ApiProblem(
            500, "internal-error", "kesalahan di server; coba lagi",
            "server error; please retry", headers={"Retry-After": "2"}))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        _die_with_parent()
        yield
        state.close()

    routes = [
        Route("/api/v1/sheets", submit, methods=["POST"]),
        Route("/api/v1/results/{region}", results),
        Route("/api/v1/dapil/{code}", dapil),
        Route("/api/v1/seats/{contest}", seats),
        Route("/api/v1/tps/{code}", tps),
        Route("/api/v1/tps/{code}/proof", proof),
        Route("/api/v1/progress", progress),
        Route("/api/v1/checkpoint", checkpoint),
        Route("/api/v1/download/{name}", download),
        Route("/log/{path:path}", log_file),
        Route("/openapi.json", openapi),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Any]] = {
        ApiProblem: on_problem, HTTPException: on_http, Exception: on_error}
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    from saksi.portal import portal_app

    portal = portal_app(state)  # the public pages (docs/portal.md)
    api_default = app.router.default

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        # Machine paths keep answering problem+json; people get the portal.
        path = str(scope.get("path", ""))
        if path.startswith(API_PREFIXES):
            await api_default(scope, receive, send)
        else:
            await portal(scope, receive, send)

    app.router.default = fallback
    return app


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int) -> ApiProblem:
    return ApiProblem(413, "body-too-large",
                      f"isi permintaan melebihi batas {MAX_BODY} byte",
                      f"the request body exceeds the {MAX_BODY}-byte limit",
                      field="body", value=size)


class _LoggedSheet(msgspec.Struct):
    """What a TPS document says of each signed sheet it lists (other fields ignored)."""

    index: int
    leaf_hash: str
    contest: str
    verdict: str
    flags: tuple[Problem, ...]


class _TpsSheets(msgspec.Struct):
    documents: list[_LoggedSheet]


async def _logged(state: _State, items: Sequence[Item]) -> dict[str, Receipt]:
    """Receipts, by leaf hash, of the documents among ``items`` the log holds.

    A sheet's comes from its TPS's published document, which lists every
    logged version with its receipt's fields (the store keeps no index of
    sheets by leaf hash; the document is one the sequencer renders and this
    worker caches briefly, so a sheet logged within ``cache_seconds`` may not
    be found yet, and is answered as held). A control document's comes from
    the store's index of them."""
    found: dict[str, Receipt] = {}
    control = [it.leaf_hash for it in items if not it.tps]
    if control:
        for row in state.store.control_by_leaf(control).values():
            found[row.leaf_hash] = duplicate_receipt(row)
    wanted = {it.leaf_hash for it in items if it.tps}
    names = [("tps", code) for code in dict.fromkeys(it.tps for it in items if it.tps)]
    for doc in await state.published_many(names) if names else []:
        if doc is None:
            continue
        for sheet in msgspec.json.decode(doc.body, type=_TpsSheets).documents:
            if sheet.leaf_hash in wanted:
                found[sheet.leaf_hash] = Receipt(
                    sheet.index, sheet.leaf_hash, TYPE_SHEET, sheet.verdict, sheet.flags,
                    doc.key, sheet.contest, duplicate=True)
    return found


def _unavailable(why_id: str, why_en: str, seconds: int = 2) -> ApiProblem:
    return ApiProblem(503, "sequencer-unavailable", why_id, why_en,
                      headers={"Retry-After": str(seconds)})


async def _forward(state: _State, items: list[Item]) -> list[Any]:
    """Send pre-checked items to the sequencer and wait for the outcomes."""
    if all(it.refusal is not None for it in items):
        return [it.refusal for it in items]
    if state.inflight >= state.config.max_inflight:
        raise _unavailable("antrean penuh; kirim ulang sebentar lagi",
                           "the queue is full; resend shortly")
    state.inflight += 1
    try:
        response = await _call(state, WireRequest(items))
    finally:
        state.inflight -= 1
    if response.busy:
        raise _unavailable("antrean pencatat penuh; kirim ulang sebentar lagi",
                           "the sequencer queue is full; resend shortly", 1)
    return list(response.outcomes)


async def _call(state: _State, request: WireRequest) -> WireResponse:
    """One request/response exchange with the sequencer on a pooled connection."""
    try:
        pooled = state.idle_connection()
        reader, writer = pooled if pooled is not None else await asyncio.wait_for(
            asyncio.open_unix_connection(str(state.config.socket)), 5.0)
    except (OSError, TimeoutError):
        raise _unavailable("pencatat (sequencer) tidak tersedia; kirim ulang sebentar lagi",
                           "the sequencer is unavailable; resend shortly") from None
    reusable = False
    try:
        writer.write(frame(request))
        await writer.drain()
        body = await asyncio.wait_for(read_frame(reader), state.config.sequencer_timeout)
        response = decode_response(body)
        reusable = True
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
        if request.documents:
            raise _unavailable("pencatat tidak menjawab; coba lagi sebentar lagi",
                               "the sequencer did not answer; retry shortly") from None
        raise _unavailable(
            "pencatat tidak menjawab; status kiriman tidak pasti — kirim ulang (aman, "
            "idempoten)",
            "the sequencer did not answer; the outcome is unknown — resend (safe, "
            "idempotent)") from None
    finally:
        if reusable and len(state.idle) < state.max_idle and not writer.is_closing():
            state.idle.append((reader, writer))
        else:
            writer.close()
    if response.error is not None:
        raise _unavailable("pencatat gagal; kirim ulang sebentar lagi",
                           "the sequencer failed; resend shortly", 5)
    return response


def _die_with_parent() -> None:
    """A worker must not outlive the sequencer that started it (Linux only)."""
    if os.environ.get(ENV_PREFIX + "PARENT") != str(os.getppid()):
        return  # run in-process (workers=1) or not under saksi serve
    with contextlib.suppress(OSError, AttributeError):
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before we asked
            os._exit(1)


def create_app() -> Starlette:
    """The app factory uvicorn's workers import (configuration from the environment)."""
    return build_app(ApiConfig.from_env())
