"""The parallel part of verification: reading tiles and bundles, parsing and
Ed25519 over ranges of entry bundles, in worker processes.

Workers return compact tuples; the sequential trust, precedence and tally
pass runs in the parent (``saksi.audit.replay``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from saksi.audit.envelope import (
    CONTROL_TYPES,
    SHEET_MARKER,
    TYPE_SHEET,
    decode_control,
    decode_envelope,
    pae,
)
from saksi.audit.index import ElectionIndex
from saksi.audit.sheet import assess, decode_sheet, in_canonical_order
from saksi.audit.tlog import (
    TILE_WIDTH,
    FormatError,
    leaf_hash,
    perfect_root,
    split_bundle,
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
        return path.read_bytes()
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


def _bundle_prefix(data: bytes, count: int) -> bytes:
    pos = 0
    for _ in range(count):
        if pos + 2 > len(data):
            return data
        pos += 2 + int.from_bytes(data[pos:pos + 2], "big")
    return data[:pos]


# Phase 1 ------------------------------------------------------------------------
# (bundle n, problem or "", subtree root of a full tile or the leaf hashes of a partial one,
#  control entries (index, raw))
HashResult = tuple[int, str, list[bytes], list[tuple[int, bytes]]]


def hash_bundles(log: Path, bundles: list[Bundle]) -> list[HashResult]:
    out: list[HashResult] = []
    for b in bundles:
        base = b.n * TILE_WIDTH
        data = read_tile_file(log, "entries", b.n, b.width)
        if data is None:
            out.append((b.n, f"missing:{tile_path('entries', b.n, b.width)}", [], []))
            continue
        tile = read_tile_file(log, 0, b.n, b.width)
        if tile is None:
            out.append((b.n, f"missing:{tile_path(0, b.n, b.width)}", [], []))
            continue
        try:
            entries = split_bundle(data, b.width)
            published = split_hashes(tile, b.width)
        except FormatError as exc:
            out.append((b.n, f"format:{tile_path('entries', b.n, b.width)}:{exc}", [], []))
            continue
        leaves = [leaf_hash(e) for e in entries]
        if leaves != published:
            bad = next(i for i, (x, y) in enumerate(zip(leaves, published, strict=True)) if x != y)
            out.append((b.n, f"leaf:{tile_path(0, b.n, b.width)}:{base + bad}", [], []))
            continue
        controls = [(base + i, e) for i, e in enumerate(entries)
                    if i >= b.start and SHEET_MARKER not in e]
        hashes = [perfect_root(leaves)] if b.width == TILE_WIDTH and b.start == 0 else leaves
        out.append((b.n, "", hashes, controls))
    return out


# Phase 2 ------------------------------------------------------------------------
# set in the parent before the pool forks: keyid -> raw public key
KEYS: dict[str, bytes] = {}
_INDEX: list[ElectionIndex] = []
ELECTION_DIR: list[Path] = []

# per entry: (index, payload type or "", error code or "", signer keyids, signature
# verdicts (1 ok, 0 bad, -1 unknown key), payload facts)
EntryResult = tuple[int, str, str, tuple[str, ...], tuple[int, ...], object]
# payload facts of a sheet:
# (tps, contest, revision, has_reason, ballot_ok (-1 unknown TPS/contest), flags,
#  (dpt, voters, valid, invalid, total), votes per choice, party-only votes, candidate
#  votes) — vote lists in the order of the TPS's BallotSpec (index.ballot)
SheetFacts = tuple[str, str, int, bool, int, tuple[str, ...], tuple[int, int, int, int, int],
                   list[int], list[int], list[int]]


def _index() -> ElectionIndex:
    if not _INDEX:
        _INDEX.append(ElectionIndex.open(ELECTION_DIR[0]))
    return _INDEX[0]


def check_bundles(log: Path, bundles: list[Bundle]) -> list[EntryResult]:
    out: list[EntryResult] = []
    keys = KEYS
    for b in bundles:
        data = read_tile_file(log, "entries", b.n, b.width)
        if data is None:
            continue  # phase 1 reported it
        try:
            entries = split_bundle(data, b.width)
        except FormatError:
            continue
        base = b.n * TILE_WIDTH
        for i in range(b.start, b.width):
            out.append(check_entry(base + i, entries[i], keys))
    return out


def check_entry(index: int, raw: bytes, keys: dict[str, bytes]) -> EntryResult:
    try:
        env = decode_envelope(raw)
    except FormatError as exc:
        return (index, "", str(exc), (), (), None)
    message = pae(env.payload_type, env.payload)
    signers = tuple(k for k, _ in env.signatures)
    verdicts = tuple(_verify(keys.get(k), message, s) for k, s in env.signatures)
    if env.payload_type in CONTROL_TYPES:
        try:
            doc: object = decode_control(env.payload_type, env.payload)
        except FormatError as exc:
            return (index, env.payload_type, str(exc), signers, verdicts, None)
        return (index, env.payload_type, "", signers, verdicts, doc)
    try:
        sh = decode_sheet(env.payload, check_order=False)
    except FormatError as exc:
        return (index, TYPE_SHEET, str(exc), signers, verdicts, None)
    idx = _index()
    tps = idx.tps(sh.tps)
    spec = idx.ballot(sh.tps, sh.contest) if tps is not None else None
    if tps is None or spec is None:
        if not in_canonical_order(sh):
            return (index, TYPE_SHEET, "CH-CANONICAL", signers, verdicts, None)
        facts: SheetFacts = (sh.tps, sh.contest, sh.revision, False, -1, (), (0, 0, 0, 0, 0),
                             [], [], [])
        return (index, TYPE_SHEET, "", signers, verdicts, facts)
    ok, fl, choices, party_only, cands = assess(sh, spec, tps)
    if not ok and not in_canonical_order(sh):
        return (index, TYPE_SHEET, "CH-CANONICAL", signers, verdicts, None)
    t = sh.totals
    facts = (sh.tps, sh.contest, sh.revision, bool((sh.reason or "").strip()), int(ok), fl,
             (sh.voters.A.J, sh.voters.B4.J, t.A, t.B, t.C), choices, party_only, cands)
    return (index, TYPE_SHEET, "", signers, verdicts, facts)


def _verify(public: bytes | None, message: bytes, sig: bytes) -> int:
    if public is None:
        return -1
    try:
        crypto_sign_open(sig + message, public)
    except (BadSignatureError, ValueError):
        return 0
    return 1
