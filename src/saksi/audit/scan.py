"""The parallel part of verification: reading tiles and bundles, parsing and
Ed25519 over ranges of entry bundles, in worker processes.

Workers return compact tuples; the sequential trust, precedence and tally
pass runs in the parent (``saksi.audit.replay``)."""

from __future__ import annotations

import errno
import mmap
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from saksi.audit import ed25519
from saksi.audit.envelope import (
    CONTROL_TYPES,
    TYPE_SHEET,
    Authority,
    Control,
    Enrolment,
    Manifest,
    decode_control,
    decode_envelope,
    keyid_of,
    one_signature_checked,
)
from saksi.audit.index import ElectionIndex
from saksi.audit.leaves import bundle_leaves, tile_root
from saksi.audit.sheet import Facts, decode_sheet, in_canonical_order, judge, read_facts
from saksi.audit.tlog import (
    TILE_WIDTH,
    FormatError,
    split_hashes,
    tile_path,
)


@dataclass(frozen=True, slots=True)
class Bundle:
    """One entry bundle to read: tile number, entries it must hold, first entry to use."""

    n: int
    width: int
    start: int  # offset of the first new entry inside the bundle


def read_tile_file(log: Path, level: int | str, n: int, width: int) -> bytes | None:
    """A tile or bundle of ``width``; a removed partial is read as the prefix of the full one."""
    path = log / tile_path(level, n, width)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    if width == TILE_WIDTH:
        return None
    try:
        full = (log / tile_path(level, n)).read_bytes()
    except OSError:
        return None
    if level == "entries":
        return _bundle_prefix(full, width)
    return full[: 32 * width]


# set in the parent before the pool forks: read bundles around the page cache (a log
# larger than the cache: read once, its pages would only push out everything else, and
# every page the run allocates would first have to reclaim one)
DROP_PAGES: list[bool] = [False]
_DIRECT: list[bool] = [hasattr(os, "O_DIRECT")]  # cleared where a filesystem refuses it
_ALIGN = 4096  # O_DIRECT: buffer, offsets and lengths in whole logical blocks
_BUFFER: list[mmap.mmap] = []  # page-aligned, reused: one per process


def _read(path: Path) -> bytes:
    if not DROP_PAGES[0]:
        return path.read_bytes()
    if _DIRECT[0]:
        try:
            data = _read_direct(path)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: no O_DIRECT here (tmpfs, some FUSE)
                raise
            _DIRECT[0] = False
        else:
            if data is not None:
                return data
    fd = os.open(path, os.O_RDONLY)
    try:
        data = b"".join(iter(lambda: os.read(fd, 1 << 22), b""))
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return data
    finally:
        os.close(fd)


def _read_direct(path: Path) -> bytes | None:
    """The file read with O_DIRECT: from the disk into one reused buffer, no page cache
    to fill and empty again (the kernel's share of reading fell from 2.1-3.4 to 1.2 us
    per national entry, the copy out adds 0.5). None for a file that outgrew the buffer
    while it was read (the caller reads it the usual way)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        want = os.fstat(fd).st_size + _ALIGN  # room to meet the end in the same read
        if not _BUFFER or len(_BUFFER[0]) < want:
            size = max(want + (want >> 2), 1 << 21) // _ALIGN * _ALIGN
            # private: a buffer made before a fork is never shared with the children
            _BUFFER[:] = [mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)]
        view = memoryview(_BUFFER[0])
        try:
            got = 0
            while True:  # a short read is the end
                if got == len(view):
                    return None
                n = os.preadv(fd, [view[got:]], got)
                got += n
                if n == 0 or got % _ALIGN:
                    return bytes(view[:got])
        finally:
            view.release()
    finally:
        os.close(fd)


def _bundle_prefix(data: bytes, count: int) -> bytes:
    pos = 0
    for _ in range(count):
        if pos + 2 > len(data):
            return data
        pos += 2 + int.from_bytes(data[pos:pos + 2], "big")
    return data[:pos]


# One pass --------------------------------------------------------------------
# Each bundle is read once: its leaves are hashed against the level-0 tile and every
# entry is checked. A signature is checked with the keys this worker knows: those the
# parent held when it forked (a saved state's), those named by entries of its own tasks
# and those other workers published in the key journal. A signature by a key the worker
# does not know yet is "unknown" (-1); the parent, which sees every named key in log
# order, verifies again every signature that is not "ok" (``verify.Pass``), so what a
# worker knows decides only how fast a run is, never a verdict.

# (bundle n, problem or "", subtree root of a full tile or the leaf hashes of a partial
#  one, keys named (log index, keyid, hex public key) in log order, the entries' results)
BundleResult = tuple[int, str, list[bytes], list[tuple[int, str, str]], list["EntryResult"]]

# set in the parent before the pool forks: keyid -> hex public key (the registry of a
# saved state itself, not a converted copy); the key journal's path; whether entries are
# checked at all (not without an election index: the tree alone then)
KEYS: dict[str, str] = {}
JOURNAL: list[Path] = []
CHECK_ENTRIES: list[bool] = [True]
_INDEX: list[ElectionIndex] = []
ELECTION_DIR: list[Path] = []


class KeyJournal:
    """Keys the workers named, shared through one append-only file of ``keyid hex`` lines.

    A worker appends the keys of each bundle it checked (one ``write`` with O_APPEND:
    whole lines, never interleaved with another writer's) and reads what others appended
    when it meets a key it does not know, at most once per bundle. A line that is torn
    or wrong can only make a signature fail here; the parent verifies those again with
    its own registry."""

    def __init__(self, path: Path, known: dict[str, str]) -> None:
        # a copy: in a run without a pool ``known`` is the parent's registry, which must
        # hold only keys named up to the entry being replayed
        self.keys = dict(known)
        self._out = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._in = os.open(path, os.O_RDONLY)
        self._tail = b""
        self.fresh = False  # read the journal since the current bundle began
        self._raw: dict[str, bytes] = {}

    def publish(self, named: list[tuple[int, str, str]]) -> None:
        if named:
            os.write(self._out, "".join(f"{k} {h}\n" for _, k, h in named).encode())

    def public(self, keyid: str) -> bytes | None:
        """``lookup``'s key as bytes, converted once per key."""
        raw = self._raw.get(keyid)
        if raw is None:
            raw = key_bytes(self.lookup(keyid))
            if raw is not None:  # keys never change once known (first naming wins)
                self._raw[keyid] = raw
        return raw

    def lookup(self, keyid: str) -> str | None:
        key = self.keys.get(keyid)
        if key is None and not self.fresh:
            self.fresh = True
            self._read()
            key = self.keys.get(keyid)
        return key

    def _read(self) -> None:
        chunks = [self._tail]
        while block := os.read(self._in, 1 << 20):
            chunks.append(block)
        data = b"".join(chunks)
        cut = data.rfind(b"\n") + 1
        self._tail = data[cut:]
        keys = self.keys
        for line in data[:cut].decode("ascii", "replace").splitlines():
            keyid, _, key = line.partition(" ")
            keys.setdefault(keyid, key)


_JOURNALS: list[KeyJournal] = []


def _journal() -> KeyJournal:
    if not _JOURNALS:
        _JOURNALS.append(KeyJournal(JOURNAL[0], KEYS))
    return _JOURNALS[0]


def reset(keys: dict[str, str], journal: Path, election: Path, check: bool,
          drop_pages: bool = False) -> None:
    """Set what the workers inherit (in the parent, before the pool forks)."""
    global KEYS  # noqa: PLW0603
    KEYS = keys
    DROP_PAGES[0] = drop_pages and hasattr(os, "posix_fadvise")
    JOURNAL[:] = [journal]
    ELECTION_DIR[:] = [election]
    CHECK_ENTRIES[0] = check
    _INDEX.clear()
    _JOURNALS.clear()


def scan_bundles(log: Path, bundles: list[Bundle]) -> list[BundleResult]:
    out: list[BundleResult] = []
    for b in bundles:
        base = b.n * TILE_WIDTH
        data = read_tile_file(log, "entries", b.n, b.width)
        if data is None:
            out.append((b.n, f"missing:{tile_path('entries', b.n, b.width)}", [], [], []))
            continue
        tile = read_tile_file(log, 0, b.n, b.width)
        if tile is None:
            out.append((b.n, f"missing:{tile_path(0, b.n, b.width)}", [], [], []))
            continue
        try:
            entries, leaves = bundle_leaves(data, b.width)
            if len(tile) != 32 * b.width:
                split_hashes(tile, b.width)  # names the fault
        except FormatError as exc:
            out.append((b.n, f"format:{tile_path('entries', b.n, b.width)}:{exc}", [], [], []))
            continue
        if leaves != tile:
            bad = next(i for i in range(b.width)
                       if leaves[32 * i:32 * i + 32] != tile[32 * i:32 * i + 32])
            out.append((b.n, f"leaf:{tile_path(0, b.n, b.width)}:{base + bad}", [], [], []))
            continue
        hashes = ([tile_root(leaves)] if b.width == TILE_WIDTH and b.start == 0
                  else split_hashes(leaves, b.width))
        if not CHECK_ENTRIES[0]:
            out.append((b.n, "", hashes, [], []))
            continue
        journal = _journal()
        journal.fresh = False
        named: list[tuple[int, str, str]] = []
        results = [check_entry(base + i, entries[i], journal, named)
                   for i in range(b.start, b.width)]
        journal.publish(named)
        out.append((b.n, "", hashes, named, results))
    return out


def named_key(doc: Control) -> str | None:
    """The hex public key a control document introduces (a revocation names none)."""
    if isinstance(doc, Manifest):
        return doc.root_key
    # two checks: isinstance with a union is several times slower (832k enrolments)
    if isinstance(doc, Enrolment) or isinstance(doc, Authority):  # noqa: SIM101
        return doc.key
    return None


# per entry: (index, payload type or "", error code or "", signer keyids, signature
# verdicts (1 ok, 0 bad, -1 unknown key), payload facts)
EntryResult = tuple[int, str, str, tuple[str, ...], tuple[int, ...], object]
# payload facts of a control document: (the document, keyid of the key it names or "")
ControlFacts = tuple[Control, str]
# payload facts of a sheet:
# (tps, contest, revision, has_reason, ballot_ok (-1 unknown TPS/contest), flags, votes)
# with ``votes`` the packed figures and vote lists (see ``pack``)
SheetFacts = tuple[str, str, int, bool, int, tuple[str, ...], bytes]


def _index() -> ElectionIndex:
    if not _INDEX:
        _INDEX.append(ElectionIndex.open(ELECTION_DIR[0]))
    return _INDEX[0]


def check_entry(index: int, raw: bytes, keys: KeyJournal,
                named: list[tuple[int, str, str]]) -> EntryResult:
    """One entry's envelope, signatures and payload; a key the entry names is appended
    to ``named`` and known to ``keys`` before its own signatures are checked (the
    manifest signs with the root key it names)."""
    # nearly every entry: a one-signature sheet, read, verified and reduced to its facts
    # in one call of the accelerator (no Decoded built)
    native = one_signature_checked(raw, keys.keys)
    if native is not None:
        payload_type, payload, keyid, sig, verdict, facts = native
        if payload_type == TYPE_SHEET:
            if verdict < 0:  # a key the call did not find or could not read
                verdict = _verdicts(payload_type, payload, ((keyid, sig),), keys.public)[0]
            return _sheet(index, (keyid,), _ONE[verdict], payload, facts)
        sigs: tuple[tuple[str, bytes], ...] = ((keyid, sig),)
    else:
        try:
            env = decode_envelope(raw)
        except FormatError as exc:
            return (index, "", str(exc), (), (), None)
        payload_type, payload, sigs = env.payload_type, env.payload, env.signatures
    signers = (sigs[0][0],) if len(sigs) == 1 else tuple(k for k, _ in sigs)
    if payload_type in CONTROL_TYPES:
        try:
            doc = decode_control(payload_type, payload)
        except FormatError as exc:
            return (index, payload_type, str(exc), signers, (), None)
        key = named_key(doc)
        named_id = ""
        if key is not None:
            named_id = keyid_of(bytes.fromhex(key))
            named.append((index, named_id, key))
            keys.keys.setdefault(named_id, key)
        return (index, payload_type, "", signers,
                _verdicts(payload_type, payload, sigs, keys.public), (doc, named_id))
    return _sheet(index, signers, _verdicts(payload_type, payload, sigs, keys.public),
                  payload, None)


def _sheet(index: int, signers: tuple[str, ...], verdicts: tuple[int, ...],
           payload: bytes, facts: Facts | None) -> EntryResult:
    if facts is None:
        try:
            facts = read_facts(payload)
        except FormatError as exc:
            return (index, TYPE_SHEET, str(exc), signers, verdicts, None)
    code, contest, revision, reason = facts[:4]
    idx = _index()
    tps = idx.tps(code)
    spec = idx.ballot(code, contest) if tps is not None else None
    ok, fl = judge(facts, spec, tps) if tps is not None and spec is not None else (False, ())
    if not ok:
        # the facts leave list order out: a sheet that matches no ballot is decoded again
        # to tell a misordered list (CH-CANONICAL) from another ballot (rare: an attack)
        try:
            ordered = in_canonical_order(decode_sheet(payload, check_order=False))
        except FormatError as exc:
            return (index, TYPE_SHEET, str(exc), signers, verdicts, None)
        if not ordered:
            return (index, TYPE_SHEET, "CH-CANONICAL", signers, verdicts, None)
        if tps is None or spec is None:
            unknown: SheetFacts = (code, contest, revision, False, -1, (), b"")
            return (index, TYPE_SHEET, "", signers, verdicts, unknown)
    out: SheetFacts = (code, contest, revision, bool(reason and reason.strip()), int(ok), fl,
                       facts.votes if ok else b"")
    return (index, TYPE_SHEET, "", signers, verdicts, out)


def verdicts_of(raw: bytes, lookup: Callable[[str], str | None]) -> tuple[int, ...]:
    """The signatures of an entry whose envelope decoded, checked with ``lookup``'s keys
    (the parent's second look at a signature a worker could not call ok)."""
    env = decode_envelope(raw)
    return _verdicts(env.payload_type, env.payload, env.signatures,
                     lambda keyid: key_bytes(lookup(keyid)))


def _verdicts(payload_type: str, payload: bytes, sigs: tuple[tuple[str, bytes], ...],
              public: Callable[[str], bytes | None]) -> tuple[int, ...]:
    """Per signature 1 if it verifies over the PAE under the key ``public`` gives, 0 if
    not, -1 for a key the log never introduced."""
    verify = ed25519.verify_pae
    if len(sigs) == 1:  # nearly every entry: one shared tuple per verdict (pickled once)
        k, s = sigs[0]
        key = public(k)
        return _ONE[-1 if key is None else verify(s, payload_type, payload, key)]
    out = []
    for k, s in sigs:
        key = public(k)
        out.append(-1 if key is None else verify(s, payload_type, payload, key))
    return tuple(out)


_ONE = {1: (1,), 0: (0,), -1: (-1,)}


def key_bytes(public: str | None) -> bytes | None:
    """A hex public key as bytes; b"" (no signature verifies) for one that is not hex."""
    if public is None:
        return None
    try:
        return bytes.fromhex(public)
    except ValueError:
        return b""
