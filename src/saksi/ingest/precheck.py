"""The stateless half of the submission pipeline, run in parallel by the HTTP
workers before anything reaches the sequencer.

Everything here depends only on the document's bytes, the read-only election
index and public keys (which never change once registered): size, envelope,
sheet shape and rules, canonical form and the Ed25519 signatures. What depends
on the log position — is the key enrolled and not revoked *there*, does this
revision outrank the current one — is left to the sequencer, which re-checks
it without re-verifying signatures.

Nearly every sheet is canonical, clean and signed by known keys. Where the C
accelerator is built (``saksi.ingest.accelerator``), ``_fast.clean`` recognises that case
in one call (envelope, sheet, rules, counts and Ed25519 through the libsodium
PyNaCl loaded) and returns what the Python path would put into the Item; for
anything else it returns None and the Python path below decides and explains.
So the accelerator can only make the check faster, never change its outcome
(tests/ingest/test_fast_precheck.py compares the two).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from saksi.election.model import Ballot, Contest, Party
from saksi.errors import InputError
from saksi.ingest.accelerator import CLEAN
from saksi.ingest.outcome import Item, Problem, Refusal
from saksi.keys import envelope as env
from saksi.keys.envelope import CONTROL_TYPES, TYPE_SHEET, EnvelopeError
from saksi.sheets.canonical import encode
from saksi.sheets.rules import BallotLookup, dpt_cap, packed_numbers, parse_and_check
from saksi.sheets.rules import Verdict as SheetVerdict
from saksi.tally.counts import Layout, ballot_layout, counts_of

KeyLookup = Callable[[str], bytes | None]

# A log entry's length is a uint16 in C2SP entry bundles.
MAX_ENTRY_BYTES = 64 * 1024


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def problem(code: str, message_id: str, message_en: str, field: str = "",
            value: int | str | None = None) -> Problem:
    if not field:
        return Problem(code, message_id, message_en)
    return Problem(code, message_id, message_en, (field,), {field: value})


FAST = CLEAN  # the accelerator, or None (tests compare with and without)
_CLEAN = str(SheetVerdict.CLEAN)


class Layouts:
    """The counts layout of each ballot of an election (``saksi.tally.counts``),
    computed once per (contest, dapil); and what the accelerator needs to know
    of a TPS and its ballot (``spec``)."""

    def __init__(self, election: BallotLookup, parties: Iterable[Party]) -> None:
        self._election = election
        self._parties = tuple(p.number for p in parties)
        self._memo: dict[tuple[Contest, str | None], Layout] = {}

    def __call__(self, tps: str, contest: Contest) -> Layout:
        return self._of(self._election.ballot(tps, contest))

    def _of(self, ballot: Ballot) -> Layout:
        key = (ballot.contest, None if ballot.dapil is None else ballot.dapil.code)
        layout = self._memo.get(key)
        if layout is None:
            layout = self._memo[key] = ballot_layout(ballot, self._parties)
        return layout

    def spec(self, code: str, contest: str) -> tuple[int, int, int, bytes, int, int] | None:
        """For ``_fast.clean``: the TPS's register (L, P), its DPT cap (-1: none),
        its ballot's numbers (``rules.packed_numbers``) and the counts layout (P,
        K); None where ``parse_and_check`` would not reach the rules (unknown TPS,
        contest not held there, no ballot) or no sheet of the ballot is clean."""
        election = self._election
        try:
            tps = election.tps(code)
            wanted = Contest(contest)
            if tps.code != code or wanted not in election.contests_at(code):
                return None
            ballot = election.ballot(code, wanted)
        except (InputError, LookupError, ValueError):
            return None
        numbers = packed_numbers(ballot)
        if numbers is None or ballot.tps != code or ballot.contest != wanted:
            return None
        layout = self._of(ballot)
        cap = dpt_cap(tps)
        return (tps.dpt_l, tps.dpt_p, -1 if cap is None else cap, numbers, layout.choices,
                layout.candidates)


def precheck(raw: bytes, election: BallotLookup, public_key: KeyLookup,
             layouts: Layouts | None = None) -> Item:
    """Check one document as far as possible without the log.

    With ``layouts``, an acceptable sheet also brings its counts, so the
    sequencer need not decode it again."""
    if layouts is not None and FAST is not None:
        hit = FAST(raw, TYPE_SHEET, layouts.spec, public_key)
        if hit is not None:
            tps, contest, revision, reason, signers, counts = hit
            return Item(raw, leaf_hash(raw).hex(), None, True, _CLEAN, (), tps, contest,
                        revision, reason, counts, signers)
    if len(raw) > MAX_ENTRY_BYTES:
        return Item(b"", "", Refusal((problem(
            "ENTRY-TOO-LARGE",
            f"dokumen {len(raw)} byte melebihi batas {MAX_ENTRY_BYTES} byte",
            f"document of {len(raw)} bytes exceeds the {MAX_ENTRY_BYTES}-byte limit",
            "size", len(raw)),)))
    leaf = leaf_hash(raw).hex()
    try:
        envelope = env.decode(raw)
    except EnvelopeError as exc:
        return Item(b"", leaf, Refusal((problem(exc.code, exc.message_id, exc.message_en,
                                                exc.field, str(exc.value)),), leaf))
    if envelope.payload_type in CONTROL_TYPES:
        return Item(raw, leaf)  # rare; the sequencer checks them in full
    if envelope.payload_type != TYPE_SHEET:
        return Item(b"", leaf, Refusal((problem(
            "PAYLOAD-TYPE", f"jenis dokumen tidak dikenal: {envelope.payload_type}",
            f"unknown document type: {envelope.payload_type}",
            "payloadType", envelope.payload_type),), leaf))
    sheet, result = parse_and_check(envelope.payload, election)
    if sheet is None or result.verdict is SheetVerdict.REJECTED:
        return Item(b"", leaf, Refusal(tuple(
            Problem(r.code, r.message_id, r.message_en, r.fields, dict(r.values))
            for r in result.results), leaf))
    # The sheet is already decoded: canonical iff it re-encodes to the signed
    # bytes (what ``is_canonical`` checks, without a second decode).
    if encode(sheet) != envelope.payload:
        return Item(b"", leaf, Refusal((problem(
            "CH-CANONICAL", "isi lembar yang ditandatangani harus dalam bentuk kanonis",
            "the signed sheet payload must be in canonical form", "payload", None),), leaf))
    verified = True
    for sig in envelope.signatures:
        key = public_key(sig.keyid)
        if key is None:
            verified = False  # enrolled in a batch we have not seen: the sequencer verifies
            continue
        if not env.verify_one(envelope, sig, key):
            return Item(b"", leaf, Refusal((problem(
                "SIG-INVALID",
                f"tanda tangan kunci {sig.keyid} tidak sah (dokumen diubah atau tanda "
                "tangan palsu)",
                f"signature by key {sig.keyid} is invalid (document altered or signature "
                "forged)", "signatures", sig.keyid),), leaf))
    flags = tuple(Problem(r.code, r.message_id, r.message_en, r.fields, dict(r.values))
                  for r in result.results)
    counts = [] if layouts is None else counts_of(sheet, layouts(sheet.tps, sheet.contest))
    return Item(raw, leaf, None, verified, str(result.verdict), flags, sheet.tps,
                str(sheet.contest), sheet.revision, sheet.reason, counts,
                envelope.keyids if verified else ())


class KeyCache:
    """Public keys by key id from the store, cached: a key's bytes never
    change once registered; an unknown id is asked again after ``miss_ttl``."""

    def __init__(self, fetch: KeyLookup, miss_ttl: float = 1.0, max_size: int = 2_000_000
                 ) -> None:
        self._fetch = fetch
        self._hits: dict[str, bytes] = {}
        self._misses: dict[str, float] = {}
        self._miss_ttl = miss_ttl
        self._max = max_size

    def __call__(self, keyid: str) -> bytes | None:
        hit = self._hits.get(keyid)
        if hit is not None:
            return hit
        now = time.monotonic()
        missed = self._misses.get(keyid)
        if missed is not None and now - missed < self._miss_ttl:
            return None
        key = self._fetch(keyid)
        if key is None:
            if len(self._misses) > 10_000:
                self._misses.clear()
            self._misses[keyid] = now
            return None
        if len(self._hits) >= self._max:
            self._hits.clear()
        self._hits[keyid] = key
        self._misses.pop(keyid, None)
        return key
