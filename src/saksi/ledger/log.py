"""The append-only transparency log: tiles on disk, one sequencer thread.

Write path (see docs/adr/0002-log-write-path.md), one batch at a time:

1. **collect**   — take queued append requests until ``batch_size`` entries or
   ``batch_ms`` have passed (a request is never split);
2. **integrate** — hash the entries into the in-memory right edge of the tree;
3. **write**     — entry bundles and tiles, each temp+fsync+rename, then fsync
   the directories;
4. **sign**      — check the new tree extends the last signed one (a consistency
   proof read back from the tiles just written), sign, and persist it as
   ``ledger/signed`` *before* anyone sees it;
5. **cosign**    — ask the witnesses, bounded by ``witness_timeout``;
6. **publish**   — write ``log/checkpoint`` (with cosignatures) durably;
7. **ack**       — wake the callers with their indices; tidy superseded partial tiles.

``ledger/signed`` is the source of truth: on open, a published checkpoint that
lags it is republished, the right-edge tiles are checked against its root, and
anything written beyond it (an unacknowledged batch) is overwritten later.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from saksi.errors import InputError, StateError
from saksi.ledger import merkle
from saksi.ledger.checkpoint import Checkpoint, TlogProof, open_checkpoint
from saksi.ledger.note import ALG_ED25519, NoteError, Signer
from saksi.ledger.storage import write_file, write_many
from saksi.ledger.tiles import (
    MAX_ENTRY,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileReader,
    decode_bundle,
    encode_bundle,
    root_from_edge,
    split_hashes,
    tile_path,
)
from saksi.ledger.witness_client import (
    DEFAULT_BACKOFF,
    DEFAULT_TIMEOUT,
    WitnessClient,
    load_witnesses,
    save_witnesses,
)

DEFAULT_BATCH_SIZE = 256
DEFAULT_BATCH_MS = 25.0
KEY_FILE = "log.key"
CONFIG_FILE = "config.json"
SIGNED_FILE = "signed"
HISTORY_FILE = "checkpoints"
WITNESSES_FILE = "witnesses.json"
WRITER_LOCK_FILE = "writer.lock"
VKEY_FILE = "vkey"  # in log/: the public verifier key

Fault = Callable[[str], None]


@dataclass(frozen=True, repr=False)
class LogKey:
    """The log's Ed25519 signing key (32-byte seed); its key name is the origin."""

    seed: bytes

    def __repr__(self) -> str:
        return "LogKey(<secret>)"

    @classmethod
    def generate(cls) -> LogKey:
        return cls(Signer.generate("x").seed)

    def signer(self, origin: str) -> Signer:
        return Signer(origin, ALG_ED25519, self.seed)

    def vkey(self, origin: str) -> str:
        return self.signer(origin).vkey


def _err_state(msg_id: str, msg_en: str) -> StateError:
    return StateError(msg_id, msg_en)


@dataclass
class _Request:
    entries: list[bytes]
    future: Future[list[int]]
    arrived: float  # time.monotonic() when queued: the batch window starts here


class Log:
    """A C2SP tiled transparency log stored in ``DIR/log`` (public) and ``DIR/ledger`` (private)."""

    def __init__(
        self,
        election_dir: Path,
        *,
        batch_size: int,
        batch_ms: float,
        witness_timeout: float,
        witness_backoff: float,
        fault: Fault | None,
        readonly: bool = False,
    ) -> None:
        self.dir = Path(election_dir)
        self.readonly = readonly
        self.log_dir = self.dir / "log"
        self.ledger_dir = self.dir / "ledger"
        self.batch_size = max(1, batch_size)
        self.batch_ms = max(0.0, batch_ms)
        self._fault = fault
        cfg = _read_config(self.ledger_dir / CONFIG_FILE)
        self.origin: str = cfg
        seed = (self.ledger_dir / KEY_FILE).read_bytes()
        if len(seed) != 32:
            raise _err_state("kunci log rusak", "log key file is corrupt")
        self._signer = LogKey(seed).signer(self.origin)
        self._verifier = self._signer.verifier
        self.vkey: str = self._verifier.vkey
        self.reader = TileReader.for_dir(self.log_dir)
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._failed: BaseException | None = None
        self._closed = False
        self._witnesses = load_witnesses(self.ledger_dir / WITNESSES_FILE)
        self._wclient: WitnessClient | None = None
        self._writer_lock: int | None = None
        if readonly:
            self._open_readonly()
            return
        self._writer_lock = _lock_writer(self.ledger_dir)
        self._recover()
        self._wclient = (
            WitnessClient(
                self._witnesses,
                timeout=witness_timeout,
                backoff=witness_backoff,
                on_change=lambda: save_witnesses(
                    self.ledger_dir / WITNESSES_FILE, self._witnesses, durable=False
                ),
            )
            if self._witnesses
            else None
        )
        self._thread = threading.Thread(target=self._run, name="saksi-log-sequencer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, election_dir: Path, *, origin: str, key: LogKey | None = None) -> Log:
        d = Path(election_dir)
        ledger, pub = d / "ledger", d / "log"
        if (ledger / CONFIG_FILE).exists() or (pub / "checkpoint").exists():
            raise _err_state(f"log sudah ada di {d}", f"a log already exists in {d}")
        key = key or LogKey.generate()
        try:
            signer = key.signer(origin)
        except NoteError as exc:
            raise InputError("origin", origin, "origin log tidak sah", str(exc)) from exc
        ledger.mkdir(parents=True, exist_ok=True)
        pub.mkdir(parents=True, exist_ok=True)
        os.chmod(ledger, 0o700)
        write_file(ledger / KEY_FILE, key.seed, mode=0o600)
        os.chmod(ledger / KEY_FILE, 0o600)
        write_file(ledger / CONFIG_FILE, _config_bytes(origin))
        signed = Checkpoint(origin, 0, merkle.EMPTY_ROOT).sign(signer)
        write_file(ledger / SIGNED_FILE, signed.encode())
        write_file(pub / "checkpoint", signed.encode())
        # The verifier key, published beside the tiles for convenience. A
        # verifier that takes it from the same place as the checkpoint proves
        # only self-consistency; policies should pin it out of band.
        write_file(pub / VKEY_FILE, (signer.verifier.vkey + "\n").encode())
        return cls.open(d)

    @classmethod
    def open(
        cls,
        election_dir: Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_ms: float = DEFAULT_BATCH_MS,
        witness_timeout: float = DEFAULT_TIMEOUT,
        witness_backoff: float = DEFAULT_BACKOFF,
        fault: Fault | None = None,
        readonly: bool = False,
    ) -> Log:
        """Open an existing log.  ``readonly=True`` starts no sequencer and writes nothing
        (safe while another process appends); reads then reflect ``log/checkpoint``."""
        d = Path(election_dir)
        if not (d / "ledger" / CONFIG_FILE).exists():
            raise _err_state(f"tidak ada log di {d}", f"no log in {d}")
        return cls(
            d,
            batch_size=batch_size,
            batch_ms=batch_ms,
            witness_timeout=witness_timeout,
            witness_backoff=witness_backoff,
            fault=fault,
            readonly=readonly,
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.readonly:
            return
        self._queue.put(None)
        self._thread.join()
        if self._wclient is not None:
            self._wclient.close()
        if self._writer_lock is not None:
            os.close(self._writer_lock)  # releases the flock
            self._writer_lock = None

    def __enter__(self) -> Log:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ recovery

    def _recover(self) -> None:
        try:
            signed_text = (self.ledger_dir / SIGNED_FILE).read_text(encoding="utf-8")
            cp, _ = open_checkpoint(signed_text, self._verifier, self.origin)
        except (OSError, NoteError, UnicodeDecodeError) as exc:
            raise _err_state(
                "checkpoint log rusak", f"signed checkpoint unreadable: {exc}"
            ) from exc
        published = self._read_published()
        if published is not None and published[0].size > cp.size:
            # Without witnesses both copies are written together (see _process); the
            # public one got to disk first.  It is signed by us, so it is the latest.
            cp, signed_text = published
            write_file(self.ledger_dir / SIGNED_FILE, signed_text.encode())
        if published is None or published[0].size < cp.size:
            write_file(self.log_dir / "checkpoint", signed_text.encode())
            published = (cp, signed_text)
        elif published[0].root != cp.root:
            raise _err_state(
                "checkpoint terbit tidak cocok dengan yang ditandatangani",
                "published checkpoint disagrees with the last signed one",
            )
        edge, entries = self._load_edge(cp.size)
        if root_from_edge(edge) != cp.root:
            raise _err_state(
                "tile log tidak cocok dengan checkpoint", "log tiles do not match the checkpoint"
            )
        self._edge = edge
        self._edge_entries = entries
        self._size = cp.size
        self._root = cp.root
        self._signed = cp
        self._published_text = published[1]
        self._published_size = cp.size
        self._remove_stale_full_tiles(cp.size)

    def _open_readonly(self) -> None:
        """Serve reads of the published log without touching any file (another process
        may be writing it)."""
        published = self._read_published()
        if published is None:
            raise _err_state("checkpoint log tidak terbaca", "published checkpoint unreadable")
        self._published_text = published[1]
        self._published_size = published[0].size

    def _read_published(self) -> tuple[Checkpoint, str] | None:
        path = self.log_dir / "checkpoint"
        try:
            text = path.read_text(encoding="utf-8")
            cp, _ = open_checkpoint(text, self._verifier, self.origin)
        except (OSError, NoteError, UnicodeDecodeError):
            return None  # torn or missing: republished from ledger/signed
        return cp, text

    def _load_edge(self, size: int) -> tuple[list[list[bytes]], list[bytes]]:
        edge: list[list[bytes]] = []
        level = 0
        try:
            while (count := size >> (TILE_HEIGHT * level)) > 0:
                n, w = divmod(count, TILE_WIDTH)
                edge.append(split_hashes(self.reader.tile(level, n, w)) if w else [])
                level += 1
            n, w = divmod(size, TILE_WIDTH)
            entries = decode_bundle(self.reader.tile("entries", n, w)) if w else []
        except (OSError, ValueError) as exc:
            raise _err_state("tile log hilang atau rusak", f"log tiles missing: {exc}") from exc
        if not edge:
            edge = [[]]
        if [merkle.leaf_hash(e) for e in entries] != edge[0]:
            raise _err_state(
                "bundel entri tidak cocok dengan tile", "entry bundle does not match its tile"
            )
        return edge, entries

    def _remove_stale_full_tiles(self, size: int) -> None:
        """Drop full tiles left beyond the checkpoint by a batch that was never signed."""
        level = 0
        while True:
            count = size >> (TILE_HEIGHT * level)
            n = count // TILE_WIDTH
            for name in [str(level)] + (["entries"] if level == 0 else []):
                stale = self.log_dir / tile_path(name, n)
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
            if count == 0:
                break
            level += 1

    # ------------------------------------------------------------------ reads

    @property
    def size(self) -> int:
        return self._published_size

    def checkpoint_text(self) -> str:
        return self._published_text

    def _check_index(self, index: int, size: int) -> None:
        if not 0 <= index < size:
            raise InputError(
                "index", index, "indeks di luar log", f"index outside log of size {size}"
            )

    def _check_size(self, size: int | None) -> int:
        cur = self.size
        if size is None:
            return cur
        if not 0 <= size <= cur:
            raise InputError("size", size, "ukuran di luar log", f"size must be within 0..{cur}")
        return size

    def entry(self, index: int) -> bytes:
        size = self.size
        self._check_index(index, size)
        return self.reader.entry(index, size)

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Entries ``[start, end)`` (default: to the published size), read a
        bundle at a time."""
        size = self.size
        return self.reader.entries(start, size if end is None else end, size)

    def leaf_hash(self, index: int) -> bytes:
        size = self.size
        self._check_index(index, size)
        return self.reader.level_hash(0, index, size)

    def root(self, size: int | None = None) -> bytes:
        s = self._check_size(size)
        return self.reader.root(s)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        s = self._check_size(size)
        self._check_index(index, s)
        return self.reader.inclusion_proof(index, s)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        n = self._check_size(new)
        if not 0 <= old <= n:
            raise InputError("old", old, "ukuran lama tidak sah", f"old must be within 0..{n}")
        return self.reader.consistency_proof(old, n)

    def signed_checkpoint(self, size: int | None = None) -> str:
        """The published checkpoint of ``size`` (current if None); InputError if none kept."""
        s = self._check_size(size)
        text = self._published_text
        if s == self.size:
            return text
        path = self.ledger_dir / HISTORY_FILE
        if path.exists():
            prefix = f"{s} "
            with path.open(encoding="ascii") as fh:
                for line in fh:
                    if line.startswith(prefix):
                        return base64.b64decode(line[len(prefix) :]).decode()
        raise InputError(
            "size", s, "tidak ada checkpoint untuk ukuran ini", "no checkpoint of that size"
        )

    def receipt(self, index: int, size: int | None = None) -> str:
        s = self._check_size(size)
        self._check_index(index, s)
        cp = self.signed_checkpoint(s)
        return TlogProof(index, tuple(self.reader.inclusion_proof(index, s)), cp).render()

    # ------------------------------------------------------------------ witnesses

    def witnesses(self) -> list[tuple[str, str]]:
        return [(w.url, w.vkey) for w in self._witnesses]

    # ------------------------------------------------------------------ writes

    def append(self, entry: bytes) -> int:
        return self.append_many([entry])[0]

    def append_many(self, entries: Sequence[bytes]) -> list[int]:
        """Append ``entries`` as one request; their indices once durable and signed."""
        return self.await_indices(self.submit_many(entries))

    def submit_many(self, entries: Sequence[bytes]) -> Future[list[int]]:
        """Queue ``entries`` as one request without waiting: the future gives
        their indices once they are durable and covered by a signed checkpoint
        (``await_indices`` turns its failure into ``StateError``). Requests are
        written in the order they were submitted."""
        batch = [bytes(e) for e in entries]
        for e in batch:
            if len(e) > MAX_ENTRY:
                raise InputError(
                    "entry", len(e), "entri melebihi 65535 byte", "entry exceeds 65535 bytes"
                )
        fut: Future[list[int]] = Future()
        if not batch:
            fut.set_result([])
            return fut
        if self._closed:
            raise _err_state("log sudah ditutup", "log is closed")
        if self.readonly:
            raise _err_state("log dibuka hanya-baca", "log was opened read-only")
        if self._failed is not None:
            raise _err_state("log gagal; buka ulang", f"log failed, reopen it: {self._failed}")
        self._queue.put(_Request(batch, fut, time.monotonic()))
        return fut

    @staticmethod
    def await_indices(fut: Future[list[int]]) -> list[int]:
        """The indices of a submitted request, waiting for them; a failed write
        raises ``StateError``."""
        try:
            return fut.result()
        except StateError:
            raise
        except Exception as exc:
            raise _err_state("penulisan log gagal", f"log write failed: {exc}") from exc

    def _run(self) -> None:
        stop = False
        while not stop:
            got = self._queue.get()
            if got is None:
                break
            first: _Request = got
            batch = [first]
            n = len(first.entries)
            deadline = first.arrived + self.batch_ms / 1000.0
            while n < self.batch_size:
                remaining = deadline - time.monotonic()
                try:
                    nxt = (
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else (self._queue.get_nowait())
                    )
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
                n += len(nxt.entries)
            if self._failed is not None:
                for r in batch:
                    r.future.set_exception(
                        _err_state("log gagal; buka ulang", f"log failed: {self._failed}")
                    )
                continue
            try:
                starts, completed = self._process(batch)
            except BaseException as exc:
                self._failed = exc
                for r in batch:
                    r.future.set_exception(exc)
                continue
            for r, start in zip(batch, starts, strict=True):
                r.future.set_result(list(range(start, start + len(r.entries))))
            # Tidy after the ack: nobody waits for it, and a crash before it
            # leaves only partial tiles that full ones already supersede.
            for name, n in completed:
                shutil.rmtree(self.log_dir / (tile_path(name, n) + ".p"), ignore_errors=True)
        # Drain anything that raced with close().
        while True:
            try:
                late = self._queue.get_nowait()
            except queue.Empty:
                break
            if late is not None:
                late.future.set_exception(_err_state("log sudah ditutup", "log is closed"))

    def _hook(self, step: str) -> None:
        if self._fault is not None:
            self._fault(step)

    def _process(self, batch: list[_Request]) -> tuple[list[int], list[tuple[int | str, int]]]:
        """Write, sign and publish one batch: each request's first index, and
        the tiles completed (whose partial versions may be removed)."""
        old_size, old_root = self._size, self._root
        starts: list[int] = []
        files: dict[str, bytes] = {}
        completed: list[tuple[int | str, int]] = []  # (level or 'entries', n)
        edge = self._edge
        entries_edge = self._edge_entries
        size = old_size
        for req in batch:
            starts.append(size)
            for e in req.entries:
                entries_edge.append(e)
                edge[0].append(merkle.leaf_hash(e))
                size += 1
                if len(edge[0]) == TILE_WIDTH:
                    self._complete_tiles(size, files, completed)
                    entries_edge = self._edge_entries
        # Right-edge partial tiles for the new size.
        for lvl, hashes in enumerate(edge):
            if hashes:
                count = size >> (TILE_HEIGHT * lvl)
                files[tile_path(lvl, count // TILE_WIDTH, len(hashes))] = b"".join(hashes)
        if entries_edge:
            files[tile_path("entries", size // TILE_WIDTH, len(entries_edge))] = encode_bundle(
                entries_edge
            )
        self._hook("integrated")
        write_many(self.log_dir, files)
        self._hook("tiles_written")

        new_root = root_from_edge(edge)
        self._size, self._root = size, new_root
        proof = self.reader.consistency_proof(old_size, size)
        if not merkle.verify_consistency(old_size, size, old_root, new_root, proof):
            raise _err_state(
                "menolak menandatangani checkpoint yang bukan perluasan",
                "refusing to sign a checkpoint that does not extend the last one",
            )
        cp = Checkpoint(self.origin, size, new_root)
        signed = cp.sign(self._signer)
        if self._wclient is None:
            # Nobody sees this checkpoint before it is published, so the private and
            # the public copy are written in parallel; reopening takes the larger.
            write_many(
                self.dir,
                {f"ledger/{SIGNED_FILE}": signed.encode(), "log/checkpoint": signed.encode()},
            )
            self._hook("signed")
            self._hook("cosigned")
            published = signed
        else:
            # Witnesses will cosign it: it must be durable as signed before they do.
            write_file(self.ledger_dir / SIGNED_FILE, signed.encode())
            self._hook("signed")
            lines = self._wclient.cosign(signed, cp, self.reader.consistency_proof)
            published = signed + "".join(lines)
            self._hook("cosigned")
            write_file(self.log_dir / "checkpoint", published.encode())
        self._signed = cp
        with (self.ledger_dir / HISTORY_FILE).open("a", encoding="ascii") as fh:
            fh.write(f"{size} {base64.b64encode(published.encode()).decode()}\n")
        with self._lock:
            self._published_text = published
            self._published_size = size
        self._hook("published")
        return starts, completed

    def _complete_tiles(
        self, size: int, files: dict[str, bytes], completed: list[tuple[int | str, int]]
    ) -> None:
        """Level-0 tile just filled: write it (and the bundle), carry hashes upward."""
        n0 = size // TILE_WIDTH - 1
        files[tile_path("entries", n0)] = encode_bundle(self._edge_entries)
        completed.append(("entries", n0))
        self._edge_entries = []
        level = 0
        while len(self._edge[level]) == TILE_WIDTH:
            data = b"".join(self._edge[level])
            n = (size >> (TILE_HEIGHT * level)) // TILE_WIDTH - 1
            files[tile_path(level, n)] = data
            completed.append((level, n))
            self._edge[level] = []
            if level + 1 == len(self._edge):
                self._edge.append([])
            self._edge[level + 1].append(merkle.perfect_root(split_hashes(data)))
            level += 1


def published_vkey(election_dir: Path) -> str:
    """The verifier key the log publishes beside its tiles (``log/vkey``):
    what a reader that must not touch the private ``ledger/`` uses."""
    return (Path(election_dir) / "log" / VKEY_FILE).read_text(encoding="utf-8").strip()


def _lock_writer(ledger_dir: Path) -> int:
    """Take the log's single-writer lock. A second writer's recovery would
    remove the tiles the first one is writing, so it must be refused; the
    kernel drops the lock when the holder dies, so a crash never leaves the
    log locked."""
    fd = os.open(ledger_dir / WRITER_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise _err_state(
            f"log di {ledger_dir.parent} sedang ditulis oleh proses lain",
            f"the log in {ledger_dir.parent} is being written by another process",
        ) from None
    return fd


def _config_bytes(origin: str) -> bytes:
    return (json.dumps({"version": 1, "origin": origin}, indent=2) + "\n").encode()


def _read_config(path: Path) -> str:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _err_state("konfigurasi log rusak", f"log config unreadable: {exc}") from exc
    if not isinstance(raw, dict) or set(raw) != {"version", "origin"} or raw["version"] != 1:
        raise _err_state("konfigurasi log tidak dikenal", "unsupported log config")
    return str(raw["origin"])


__all__ = ["Log", "LogKey"]
