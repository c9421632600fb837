"""A c2sp.org/tlog-witness server: ``POST /add-checkpoint`` (Starlette, run under uvicorn).

State lives in ``WDIR``: ``witness.key`` (Ed25519 seed, 0600), ``witness.json``
(the witness name) and ``state/<sha256(origin)>`` (the latest cosigned
checkpoint per log).  The check of the old size and the update of the state
happen under one lock, and the new state is durable (fsync + rename) before
the cosignature is returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from saksi.errors import InputError, StateError
from saksi.ledger import merkle
from saksi.ledger.checkpoint import Checkpoint
from saksi.ledger.note import ALG_COSIGNATURE_V1, Note, NoteError, Signer, Verifier
from saksi.ledger.note import b64decode_strict as _b64
from saksi.ledger.storage import write_file

KEY_FILE = "witness.key"
META_FILE = "witness.json"
MAX_BODY = 1 << 20
MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_DEC = re.compile(r"0|[1-9][0-9]*")


class BadRequest(ValueError):
    """The request body is malformed (400)."""


@dataclass(frozen=True)
class AddCheckpoint:
    old: int
    proof: tuple[bytes, ...]
    checkpoint: Checkpoint
    note: Note


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint body strictly; BadRequest if malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8") from exc
    head, sep, rest = text.partition("\n\n")
    if not sep:
        raise BadRequest("no empty line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old ") or not _DEC.fullmatch(lines[0][4:]):
        raise BadRequest("bad old size line")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadRequest("too many consistency proof lines")
    try:
        proof = tuple(_b64(line) for line in lines[1:])
        note = Note.parse(rest)
        cp = Checkpoint.parse_text(note.text)
    except NoteError as exc:
        raise BadRequest(str(exc)) from exc
    if any(len(h) != merkle.HASH_SIZE for h in proof):
        raise BadRequest("proof hashes must be 32 bytes")
    return AddCheckpoint(int(lines[0][4:]), proof, cp, note)


def init_witness(wdir: Path, name: str) -> Signer:
    """Create a witness key (0600) in ``wdir``; StateError if one exists."""
    wdir = Path(wdir)
    if (wdir / KEY_FILE).exists():
        raise StateError(f"saksi sudah ada di {wdir}", f"a witness already exists in {wdir}")
    try:
        signer = Signer.generate(name, ALG_COSIGNATURE_V1)
    except NoteError as exc:
        raise InputError("name", name, "nama saksi tidak sah", str(exc)) from exc
    (wdir / "state").mkdir(parents=True, exist_ok=True)
    write_file(wdir / KEY_FILE, signer.seed, mode=0o600)
    os.chmod(wdir / KEY_FILE, 0o600)
    write_file(wdir / META_FILE, (json.dumps({"version": 1, "name": name}) + "\n").encode())
    return signer


def load_witness(wdir: Path) -> Signer:
    wdir = Path(wdir)
    try:
        meta = json.loads((wdir / META_FILE).read_text(encoding="utf-8"))
        seed = (wdir / KEY_FILE).read_bytes()
        if set(meta) != {"version", "name"} or meta["version"] != 1:
            raise ValueError("unsupported witness.json")
        return Signer(str(meta["name"]), ALG_COSIGNATURE_V1, seed)
    except (OSError, ValueError, NoteError) as exc:
        raise StateError(
            f"tidak ada saksi di {wdir}", f"no usable witness in {wdir}: {exc}"
        ) from exc


class WitnessState:
    """Latest cosigned checkpoint per origin, persisted durably."""

    def __init__(self, wdir: Path) -> None:
        self.dir = Path(wdir) / "state"
        self.dir.mkdir(parents=True, exist_ok=True)

    def _path(self, origin: str) -> Path:
        return self.dir / hashlib.sha256(origin.encode()).hexdigest()

    def get(self, origin: str) -> Checkpoint | None:
        try:
            text = self._path(origin).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        cp = Checkpoint.parse_text(text)
        if cp.origin != origin:
            raise StateError("status saksi rusak", "witness state file is corrupt")
        return cp

    def put(self, cp: Checkpoint) -> None:
        write_file(self._path(cp.origin), cp.text.encode())


class Witness:
    """The witness logic, independent of HTTP: returns (status, content type, body)."""

    def __init__(self, signer: Signer, logs: list[Verifier], state: WitnessState) -> None:
        self.signer = signer
        self.logs: dict[str, list[Verifier]] = {}
        for v in logs:
            self.logs.setdefault(v.name, []).append(v)
        self.state = state
        self._lock = asyncio.Lock()

    async def add_checkpoint(self, body: bytes) -> tuple[int, str, str]:
        try:
            req = parse_add_checkpoint(body)
        except BadRequest as exc:
            return 400, "text/plain", f"{exc}\n"
        cp = req.checkpoint
        trusted = self.logs.get(cp.origin)
        if trusted is None:
            return 404, "text/plain", "unknown log origin\n"
        try:
            if not req.note.verified_by(trusted):
                return 403, "text/plain", "no valid signature from a trusted log key\n"
        except NoteError:
            return 403, "text/plain", "invalid log signature\n"
        if req.old > cp.size:
            return 400, "text/plain", "old size exceeds checkpoint size\n"
        async with self._lock:
            latest = self.state.get(cp.origin)
            latest_size = latest.size if latest else 0
            latest_root = latest.root if latest else merkle.EMPTY_ROOT
            if req.old != latest_size:
                return 409, SIZE_CONTENT_TYPE, f"{latest_size}\n"
            if req.old == cp.size:
                if cp.root != latest_root:
                    return 409, SIZE_CONTENT_TYPE, f"{latest_size}\n"
                if req.proof:
                    return 422, "text/plain", "proof must be empty for equal sizes\n"
            elif req.old == 0:
                if req.proof:
                    return 422, "text/plain", "proof must be empty from size 0\n"
            elif not merkle.verify_consistency(req.old, cp.size, latest_root, cp.root, req.proof):
                return 422, "text/plain", "consistency proof does not verify\n"
            await asyncio.to_thread(self.state.put, cp)
        line = self.signer.signature_line(cp.text, int(time.time()))
        return 200, "text/plain; charset=utf-8", line


def make_app(wdir: Path, log_vkeys: list[str]) -> Starlette:
    signer = load_witness(wdir)
    logs = []
    for vk in log_vkeys:
        try:
            logs.append(Verifier.parse(vk))
        except NoteError as exc:
            raise InputError("log-vkey", vk, "kunci log tidak sah", str(exc)) from exc
    witness = Witness(signer, logs, WitnessState(wdir))

    async def add_checkpoint(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("request too large\n", status_code=413)
        status, ctype, text = await witness.add_checkpoint(bytes(body))
        return Response(text.encode(), status_code=status, headers={"content-type": ctype})

    app = Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])
    app.state.witness = witness
    return app
