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
    HEX64,
    SHEET_MARKER,
    TYPE_AUTHORITY,
    TYPE_ENROLMENT,
    TYPE_SHEET,
    Authority,
    Control,
    Enrolment,
    Manifest,
    decode_control,
    decode_envelope,
    keyid_of,
    pae_head,
)
from saksi.audit.index import ElectionIndex
from saksi.audit.sheet import decode_sheet, in_canonical_order, judge, read_facts
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
#  keys named by the bundle's control documents: (keyid, hex public key) in log order)
HashResult = tuple[int, str, list[bytes], list[tuple[str, str]]]


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
        keys = [k for e in entries[b.start:] if SHEET_MARKER not in e
                for k in named_keys(e)]
        hashes = [perfect_root(leaves)] if b.width == TILE_WIDTH and b.start == 0 else leaves
        out.append((b.n, "", hashes, keys))
    return out


def named_keys(raw: bytes) -> list[tuple[str, str]]:
    """The key a control entry introduces, as (keyid, hex): the registry the workers check
    signatures with holds every such key; whether it may sign where is the replay's call.
    An entry that does not decode names none (the entry pass reports it)."""
    try:
        env = decode_envelope(raw)
    except FormatError:
        return []
    key = _leading_key(env.payload_type, env.payload)
    if key is None:
        try:
            key = named_key(decode_control(env.payload_type, env.payload))
        except (FormatError, KeyError):
            return []
    return [] if key is None else [(keyid_of(bytes.fromhex(key)), key)]


_KEY_FIRST = frozenset({TYPE_AUTHORITY, TYPE_ENROLMENT})


def _leading_key(payload_type: str, payload: bytes) -> str | None:
    """The key of an enrolment or authority certificate read from its first member
    (canonical key order puts ``key`` first) without decoding the rest: 830,000 of
    them at national scale. The entry pass decodes every entry in full; one it refuses
    is reported there, and a key this map holds grants nothing by itself."""
    if payload_type not in _KEY_FIRST or payload[72:74] != b'",' or not payload.startswith(
            b'{"key":"'):
        return None
    key = payload[8:72].decode("ascii", "replace")
    return key if HEX64.match(key) else None


def named_key(doc: Control) -> str | None:
    """The hex public key a control document introduces (a revocation names none)."""
    if isinstance(doc, Manifest):
        return doc.root_key
    # two checks: isinstance with a union is several times slower (832k enrolments)
    if isinstance(doc, Enrolment) or isinstance(doc, Authority):  # noqa: SIM101
        return doc.key
    return None


# Phase 2 ------------------------------------------------------------------------
# set in the parent before the pool forks: keyid -> hex public key (the registry itself,
# not a converted copy: at national scale that is 832k keys the parent need not touch)
KEYS: dict[str, str] = {}
_INDEX: list[ElectionIndex] = []
ELECTION_DIR: list[Path] = []

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


def check_entry(index: int, raw: bytes, keys: dict[str, str]) -> EntryResult:
    try:
        env = decode_envelope(raw)
    except FormatError as exc:
        return (index, "", str(exc), (), (), None)
    # libsodium takes signature and message as one buffer: build it in one copy
    # (the payload is most of the entry) instead of PAE first, then the concatenation
    head = pae_head(env.payload_type, len(env.payload))
    signers = tuple(k for k, _ in env.signatures)
    verdicts = tuple(_verify(keys.get(k), b"".join((s, head, env.payload)))
                     for k, s in env.signatures)
    if env.payload_type in CONTROL_TYPES:
        try:
            doc = decode_control(env.payload_type, env.payload)
        except FormatError as exc:
            return (index, env.payload_type, str(exc), signers, verdicts, None)
        key = named_key(doc)
        control: ControlFacts = (doc, "" if key is None else keyid_of(bytes.fromhex(key)))
        return (index, env.payload_type, "", signers, verdicts, control)
    try:
        facts = read_facts(env.payload)
    except FormatError as exc:
        return (index, TYPE_SHEET, str(exc), signers, verdicts, None)
    idx = _index()
    tps = idx.tps(facts.tps)
    spec = idx.ballot(facts.tps, facts.contest) if tps is not None else None
    ok, fl = judge(facts, spec, tps) if tps is not None and spec is not None else (False, ())
    if not ok:
        # the facts leave list order out: a sheet that matches no ballot is decoded again
        # to tell a misordered list (CH-CANONICAL) from another ballot (rare: an attack)
        try:
            ordered = in_canonical_order(decode_sheet(env.payload, check_order=False))
        except FormatError as exc:
            return (index, TYPE_SHEET, str(exc), signers, verdicts, None)
        if not ordered:
            return (index, TYPE_SHEET, "CH-CANONICAL", signers, verdicts, None)
        if tps is None or spec is None:
            unknown: SheetFacts = (facts.tps, facts.contest, facts.revision, False, -1, (), b"")
            return (index, TYPE_SHEET, "", signers, verdicts, unknown)
    out: SheetFacts = (facts.tps, facts.contest, facts.revision,
                       bool((facts.reason or "").strip()), int(ok), fl,
                       facts.votes if ok else b"")
    return (index, TYPE_SHEET, "", signers, verdicts, out)


def _verify(public: str | None, signed: bytes) -> int:
    """1 if ``signed`` (64-byte signature, then the PAE) verifies under the hex key
    ``public``, 0 if not, -1 for a key the log never introduced."""
    if public is None:
        return -1
    try:
        crypto_sign_open(signed, bytes.fromhex(public))
    except (BadSignatureError, ValueError):
        return 0
    return 1
