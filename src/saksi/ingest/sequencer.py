"""The sequencer: the one writer of the log and the database.

For each batch of pre-checked documents (``saksi.ingest.precheck``), in order:

1. idempotence: bytes already in the log — or accepted by an earlier batch
   not yet finished — get their original receipt back;
2. position-dependent checks at the exact index each document will take —
   trust registry (enrolment, revocation, role, scope; signatures are not
   verified again when the worker did it, nor is the envelope decoded again),
   PPK corrections carry a reason, version precedence (``saksi.tally.judge``:
   a stale revision is refused ``REVISION-STALE`` so the log never holds an
   ambiguous history);
3. the accepted bytes are queued to the log as one request (``begin`` ends here);
4. once they are durable (``finish``), the tally applies the new versions,
   and the documents, keys, supersessions and service state are committed in
   one database transaction; the public documents the batch changed are
   dropped from the document cache;
5. only then the receipts are returned.

``begin`` of the next batch may run while the log makes the previous one
durable (the server keeps ``saksi.service.server.PIPELINE_DEPTH`` in flight): each batch is
checked against what every earlier batch accepted, and batches finish in the
order they began. ``sequence`` is ``begin`` then ``finish``.

The log is the record and the database an index: on open, the tally is
restored from the last snapshot and every log entry the database has not yet
indexed is replayed (after a crash between steps 3 and 4, nothing a client
was told is lost: it never got a receipt, or its entry is in the log and is
indexed now).

Public documents (region, dapil, seats, progress, TPS) are rendered on demand
from the live tally by :meth:`Sequencer.documents`, which HTTP workers call
over the socket and cache briefly: rendering costs only what readers ask for,
not every document a batch touches (at national scale a batch touches
thousands of village documents nobody is reading). A rendered document stays
in a byte-bounded LRU until a batch changes it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import msgspec

from saksi.election import Election
from saksi.election.model import Contest
from saksi.errors import SaksiError, StateError
from saksi.ingest.accelerator import COUNTS
from saksi.ingest.leaves import LeafFilter
from saksi.ingest.outcome import Item, Outcome, Problem, Published, Receipt, Refusal
from saksi.ingest.precheck import problem
from saksi.ingest.snapshots import BackgroundSnapshots
from saksi.keys import envelope as env
from saksi.keys.envelope import (
    CONTROL_TYPES,
    TYPE_AUTHORITY,
    TYPE_ENROLMENT,
    TYPE_REVOCATION,
    TYPE_SHEET,
    Envelope,
)
from saksi.keys.hierarchy import read_index
from saksi.keys.ids import Role, key_id
from saksi.keys.payloads import AuthorityCertificate, Enrolment, Revocation, decode_payload
from saksi.keys.registry import Registry, Verdict
from saksi.ledger import Log
from saksi.ledger.entries import PublishedEntries
from saksi.sheets.canonical import decode as decode_sheet
from saksi.sheets.canonical import decode_canonical
from saksi.sheets.model import Sheet
from saksi.sheets.rules import CheckResult, RuleResult, parse_and_check
from saksi.sheets.rules import Verdict as SheetVerdict
from saksi.store import Batch, DocumentRow, KeyRow, Store, open_store
from saksi.tally import (
    SheetVersion,
    Stale,
    Tally,
    VersionKey,
    flag_codes,
    judge,
    rank_of,
)
from saksi.tally.counts import counts_of
from saksi.tally.render import RenderCache, render
from saksi.tally.render import encode as render_encode
from saksi.tally.render import touched as touched_docs
from saksi.tally.shape import NATIONAL, Shape, shape_from_election
from saksi.tally.tally import Applied

SNAPSHOT_SECONDS = 10.0
# How often what the tally holds is moved out of the cyclic collector's reach
# (gc.freeze). A full collection walks every tracked object: at the end of a
# whole national night the sequencer's process tracks ~20 million (two per
# (TPS, contest) among them), and one full collection took 6.3 s — seconds in
# which no batch is answered and no document rendered. Frozen, they are never
# walked again; the young generations are collected first, so only objects
# alive for two collections are frozen with them.
FREEZE_SECONDS = 5.0
# A snapshot holds the whole tally: at national scale a forked child takes
# seconds over it (saksi.ingest.snapshots). Space them so that the children
# take at most 1/SNAPSHOT_SHARE of the time (and at least SNAPSHOT_SECONDS apart).
SNAPSHOT_SHARE = 20
# A snapshot holds every (TPS, contest) with its history and counts, about
# 0.9 KB each (kab/kota night): a national night's 4.1 M would be ~3.7 GB,
# past the 1 GB one SQLite or PostgreSQL value may hold. Past this many slots
# (~450 MB) no further snapshot is taken: a restart restores the last one and
# re-applies the sheets indexed after it (docs/adr/0004-results-service.md,
# "Recovery").
SNAPSHOT_MAX_SLOTS = 500_000
CATCH_UP_CHUNK = 2000
# By value, a dict lookup: an Enum call per sheet (Role(...) per replayed row
# was 1.4 % of a national restart). The accelerator names only these contests.
_CONTESTS = {str(c): c for c in Contest}
_ROLES = {str(r): r for r in Role}
# A clean document's flags as indexed (the JSON of an empty list): written
# without encoding, and a restart's replay decodes nothing for it.
_NO_FLAGS = b"[]"
# Log indices whose indexed sheets a restart reads and applies at a time:
# their rows and versions, not a whole night's, are in memory at once.
REPLAY_WINDOW = 50_000
# Documents a TPS may add to the index over a night, for sizing the leaf
# filter: five contests and a revision or correction of each, and more.
LEAF_SLACK = 12
# Rendered documents kept until a batch changes them: the national and
# province documents every reader asks for stay hot; village and TPS pages
# come and go.
DOCUMENT_CACHE_BYTES = 64 * 2**20
_flags_encoder = msgspec.json.Encoder()


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def etag_of(body: bytes) -> str:
    """A strong validator: equal bytes, equal tag (across restarts and workers)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _from_rule(r: RuleResult) -> Problem:
    return Problem(r.code, r.message_id, r.message_en, r.fields, dict(r.values))


def _from_verdict(v: Verdict) -> Problem:
    return problem(v.code, v.message_id, v.message_en, "signatures", v.signer)


def _flags(result: CheckResult) -> tuple[Problem, ...]:
    return tuple(_from_rule(r) for r in result.results)


class _SheetSlot(msgspec.Struct, frozen=True, gc=False):
    """What the tally and the index need of an accepted sheet (one per sheet
    sequenced: a struct, cheaper to make than a frozen dataclass)."""

    tps: str
    contest: Contest
    revision: int
    reason: str | None
    counts: list[int]


@dataclass
class _Accepted:
    """A document that passed every check and will take ``index``."""

    index: int
    raw: bytes
    leaf: str
    signer: str  # key id of the first signature
    receipt: Receipt
    envelope: Envelope | None = None  # control documents: what the index records of them
    sheet: _SheetSlot | None = None
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A batch checked and queued to the log (``Sequencer.begin``), answered by
    ``Sequencer.finish`` once durable."""

    outcomes: list[Outcome]
    accepted: list[_Accepted]
    end: int  # the log's size once this batch is durable
    durable: Future[list[int]]


class Sequencer:
    """Owns the log, the trust registry, the tally and the store (one writer)."""

    def __init__(self, directory: Path, election: Election, log: Log, store: Store, *,
                 registry: Registry, shape: Shape, tally: Tally) -> None:
        self.directory = directory
        self.election = election
        self.log = log
        self.store = store
        self.registry = registry
        self.shape = shape
        self.tally = tally
        self._last_snapshot = time.monotonic()
        self._last_freeze = time.monotonic()
        self._snapshots = BackgroundSnapshots(store.url)
        # Leaf hashes the index may hold: most submissions are new, and this
        # spares them a lookup (``_logged``; saksi.ingest.leaves).
        self._leaves = LeafFilter(store.count_documents() + LEAF_SLACK * len(shape.tps))
        self._leaves.update(store.leaf_hashes())
        self._documents = DocumentCache(DOCUMENT_CACHE_BYTES)
        # A TPS page's signed sheets, from the log's bundles (not the log's own
        # tile cache, which its writer's proofs use): its sheets mostly share one.
        self._entries = PublishedEntries(log.log_dir)
        self._render_cache = RenderCache()
        # Batches begun and not yet finished, oldest first; what they accepted
        # (receipts by leaf hash; the newest version key of each slot with its
        # index); the log size once they are durable.
        self._tickets: deque[Ticket] = deque()
        self._unfinished: dict[str, Receipt] = {}
        self._pending: dict[tuple[str, Contest], tuple[VersionKey, int]] = {}
        self._end = log.size

    # ------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, directory: Path, store_url: str) -> Sequencer:
        directory = Path(directory)
        election = Election.open(directory)
        root = bytes.fromhex(read_index(directory).root.public_key)
        # We batch ourselves (group commit of HTTP requests): the log must not wait.
        log = Log.open(directory, batch_ms=0.0)
        store = open_store(store_url)
        try:
            applied = store.applied_size()
            if applied > log.size:
                raise StateError(
                    f"basis data mengindeks {applied} entri tetapi log hanya {log.size}",
                    f"the database indexes {applied} entries but the log holds only "
                    f"{log.size}: wrong database for this election?")
            try:
                # The index holds every control entry below ``applied``:
                # rebuild the registry from it (seconds at national scale)
                # rather than replay ~830,000 enrolments from the log (minutes).
                registry = Registry.restore(root, store.trust_rows(applied, log.entry))
            except StateError:
                # The index does not fit the log's trust chain: the log decides.
                registry = Registry(root)
                for index in store.control_indices(sorted(CONTROL_TYPES)):
                    if index < applied:
                        registry.observe(index, log.entry(index), verify=False)
            shape = shape_from_election(election)
            tally = cls._restore_tally(store, log, shape, applied)
            seq = cls(directory, election, log, store, registry=registry, shape=shape, tally=tally)
            seq._catch_up(applied)
            # Opening a national election takes a while: the next snapshot is
            # due a full interval after it, not at the first batch.
            seq._last_snapshot = time.monotonic()
        except BaseException:
            store.close()
            log.close()
            election.close()
            raise
        # The restored tally is long-lived: keep the cyclic collector from
        # walking it again on every full collection during the night.
        gc.freeze()
        return seq

    def close(self) -> None:
        try:
            self._snapshots.wait()
            self._snapshot_now()
        finally:
            self.store.close()
            self.log.close()
            self.election.close()

    def __enter__(self) -> Sequencer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @staticmethod
    def _restore_tally(store: Store, log: Log, shape: Shape, applied: int) -> Tally:
        data = store.snapshot()
        tally = Tally(shape)
        if data is not None:
            try:
                tally = Tally.restore(shape, data)
            except StateError:
                tally = Tally(shape)  # another election shape: rebuild from the index
        # Sheets the database indexed after the snapshot was taken: accepted
        # before, so only their counts are read again (in C where it can: 54 us
        # a sheet against 127 decoding; a national night past the snapshot cap
        # replays millions).
        def layout_of(tps: str, contest: str) -> tuple[int, int] | None:
            t = shape.tps.get(tps)
            if t is None:
                return None
            c = Contest(contest)
            layout = tally.layout(c, t.dapil.get(c))
            return layout.choices, layout.candidates

        start = tally.as_of_index + 1
        # The rows say which entries are sheets; the log, read a bundle at a
        # time alongside, gives their bytes. A window of rows at a time: past
        # the snapshot cap a national night replays millions of them.
        entries, at = log.entries(start, applied), start
        for lo in range(start, applied, REPLAY_WINDOW):
            versions: list[SheetVersion] = []
            for row in store.sheets_between(lo, min(applied, lo + REPLAY_WINDOW)):
                while at < row.index:
                    next(entries)
                    at += 1
                raw, at = next(entries), at + 1
                # (Nearly every sheet is clean: no JSON to decode.)
                codes = () if row.flags == _NO_FLAGS else flag_codes(
                    str(p["code"]) for p in msgspec.json.decode(row.flags))
                role = _ROLES.get(row.role or Role.DEVICE) or Role(row.role or "")
                flagged = row.verdict == "flagged"
                read = None if COUNTS is None else COUNTS(raw, TYPE_SHEET, layout_of)
                if read is None:
                    sheet = decode_canonical(env.decode(raw).payload)
                    versions.append(SheetVersion.of(
                        sheet, _counts(tally, sheet), index=row.index,
                        leaf_hash=row.leaf_hash, signer=row.signer or "", role=role,
                        flagged=flagged, flags=codes, time=row.received_at))
                    continue
                tps, contest, revision, reason, counts = read
                versions.append(SheetVersion(
                    row.index, row.leaf_hash, row.signer or "", role, flagged, codes, tps,
                    _CONTESTS[contest], revision, reason, counts, row.received_at))
            tally.apply_many(versions)
        return tally

    def _catch_up(self, applied: int) -> None:
        """Index log entries the database has not seen (written before a crash,
        or by ``saksi keys init`` / ``saksi ingest``)."""
        index = applied
        while index < self.log.size:
            end = min(self.log.size, index + CATCH_UP_CHUNK)
            accepted = [self._replayed(i, raw)
                        for i, raw in enumerate(self.log.entries(index, end), start=index)]
            self._commit(accepted, end)
            index = end

    def _replayed(self, index: int, raw: bytes) -> _Accepted:
        envelope = env.decode(raw)
        leaf = hashlib.sha256(b"\x00" + raw).hexdigest()
        if envelope.payload_type != TYPE_SHEET:
            self.registry.observe(index, envelope, verify=False)
            return _Accepted(index, raw, leaf, envelope.signer,
                             Receipt(index, leaf, envelope.payload_type, "clean"), envelope)
        sheet, result = parse_and_check(envelope.payload, self.election)
        if sheet is None:
            raise StateError(f"entri log {index} bukan lembar yang sah",
                             f"log entry {index} is not a valid sheet")
        verdict = self.registry.check_sheet(envelope, sheet.tps, index, verified=True)
        role = verdict.role or Role.DEVICE
        receipt = Receipt(index, leaf, TYPE_SHEET, str(result.verdict), _flags(result),
                          sheet.tps, str(sheet.contest))
        return _Accepted(index, raw, leaf, envelope.signer, receipt, None,
                         self._slot_of(sheet), role)

    def _slot_of(self, sheet: Sheet) -> _SheetSlot:
        return _SheetSlot(sheet.tps, sheet.contest, sheet.revision, sheet.reason,
                          _counts(self.tally, sheet))

    def _item_slot(self, item: Item) -> _SheetSlot | None:
        """The sheet as the worker described it, if its counts fit the ballot."""
        try:
            contest = _CONTESTS[item.contest]
            t = self.shape.tps[item.tps]
        except KeyError:
            return None
        if len(item.counts) != self.tally.layout(contest, t.dapil.get(contest)).width:
            return None  # a worker of another build, or no counts: decode here
        return _SheetSlot(item.tps, contest, item.revision, item.reason, item.counts)

    # ------------------------------------------------------------ sequencing
    def sequence(self, items: Sequence[Item]) -> list[Outcome]:
        """Check, log, index and publish one batch; one outcome per item."""
        return self.finish(self.begin(items))

    def begin(self, items: Sequence[Item]) -> Ticket:
        """Check one batch at the log positions it will take and queue its
        accepted documents to the log, without waiting for them to be durable.

        Batches may be begun while earlier ones are still being written (the
        log's fsyncs then overlap the next batch's checks); each is checked
        against the state every earlier batch leaves, and must be finished
        (``finish``) in the order it was begun."""
        outcomes: list[Outcome] = []
        maybe = self._leaves.may_contain
        known = self._logged([it for it in items
                              if it.refusal is None and maybe(it.leaf_hash)])
        accepted: list[_Accepted] = []
        at = self._end if self._tickets else self.log.size
        for item in items:
            if item.refusal is not None:
                outcomes.append(item.refusal)
                continue
            row = known.get(item.leaf_hash)
            if row is not None:
                outcomes.append(duplicate_receipt(row))
                continue
            earlier = self._unfinished.get(item.leaf_hash)
            if earlier is not None:  # in this batch or one not yet finished
                outcomes.append(msgspec.structs.replace(earlier, duplicate=True))
                continue
            outcome, acc = self._check(item, at)
            outcomes.append(outcome)
            if acc is not None:
                self._unfinished[acc.leaf] = acc.receipt
                accepted.append(acc)
                at += 1
        durable = self.log.submit_many([a.raw for a in accepted])
        ticket = Ticket(outcomes, accepted, at, durable)
        self._tickets.append(ticket)
        self._end = at
        return ticket

    def finish(self, ticket: Ticket) -> list[Outcome]:
        """Wait until ``ticket``'s documents are durable in the log, index them
        and apply them to the tally: then its outcomes may be answered."""
        if not self._tickets or self._tickets[0] is not ticket:
            raise StateError("batch diselesaikan tidak berurutan",
                             "batches must be finished in the order they were begun")
        indices = Log.await_indices(ticket.durable)
        if indices != [a.index for a in ticket.accepted]:
            raise StateError(
                "log ditulis oleh proses lain; hanya satu penulis yang diizinkan",
                "the log was written by another process; only one writer is allowed")
        if ticket.accepted:
            self._commit(ticket.accepted, ticket.end)
        self._tickets.popleft()
        for a in ticket.accepted:
            # Indexed now: the store answers for them, and the tally holds them.
            del self._unfinished[a.leaf]
            if a.sheet is not None:
                slot = (a.sheet.tps, a.sheet.contest)
                if self._pending.get(slot, (None, -1))[1] == a.index:
                    del self._pending[slot]
        return ticket.outcomes

    def _logged(self, items: Sequence[Item]) -> dict[str, DocumentRow]:
        """The indexed documents these items resend, by leaf hash. A sheet is
        found through its (TPS, contest) slot in the tally's history, then read
        by log index; a control document through the store's index of them
        (sheets have no index by leaf hash: schema 3, saksi.store.base)."""
        at: list[int] = []
        control: list[str] = []
        for item in items:
            slot = _sheet_slot(item)
            if slot is None:
                control.append(item.leaf_hash)
                continue
            entry = self.tally.logged(*slot, item.leaf_hash)
            if entry is not None:
                at.append(entry.index)
        found = self.store.control_by_leaf(control) if control else {}
        if at:
            found.update((r.leaf_hash, r) for r in self.store.documents_at(at))
        return found

    @property
    def unfinished(self) -> int:
        """Batches begun and not yet finished."""
        return len(self._tickets)

    def _check(self, item: Item, at: int) -> tuple[Outcome, _Accepted | None]:
        leaf = item.leaf_hash
        if item.verdict and item.signers:
            # A sheet the worker checked in full, every signature verified: the
            # envelope need not be decoded again.
            slot = self._item_slot(item)
            if slot is not None:
                verdict = self.registry.check_sheet_signers(item.signers, slot.tps, at)
                return self._judged(item, at, slot, verdict,
                                    rules=(item.verdict, item.flags))
        envelope = env.decode(item.raw)  # the worker decoded it; this cannot fail
        if envelope.payload_type in CONTROL_TYPES:
            verdict = self.registry.check_control(envelope, at)
            if not verdict.ok:
                return Refusal((_from_verdict(verdict),), leaf), None
            self.registry.observe(at, envelope, verify=False)
            receipt = Receipt(at, leaf, envelope.payload_type, "clean")
            return receipt, _Accepted(at, item.raw, leaf, envelope.signer, receipt, envelope)
        sheet: _SheetSlot | None = None
        if item.verdict:  # the worker ran the rules
            sheet_verdict, flags = item.verdict, item.flags
            sheet = self._item_slot(item)
            if sheet is None:  # only decode (no lookups): canonical was checked there
                sheet = self._slot_of(decode_sheet(envelope.payload))
        else:
            decoded, result = parse_and_check(envelope.payload, self.election)
            sheet_verdict, flags = str(result.verdict), _flags(result)
            if decoded is None or result.verdict is SheetVerdict.REJECTED:
                return Refusal(flags, leaf), None
            sheet = self._slot_of(decoded)
        verdict = self.registry.check_sheet(envelope, sheet.tps, at, verified=item.verified)
        return self._judged(item, at, sheet, verdict, rules=(sheet_verdict, flags))

    def _judged(self, item: Item, at: int, sheet: _SheetSlot, verdict: Verdict, *,
                rules: tuple[str, tuple[Problem, ...]]) -> tuple[Outcome, _Accepted | None]:
        """The outcome of a sheet whose signers the registry judged (``rules``:
        the rules' verdict and flags): PPK corrections carry a reason, and the
        revision must outrank the current one."""
        sheet_verdict, flags = rules
        leaf = item.leaf_hash
        if not verdict.ok or verdict.role is None or verdict.signer is None:
            return Refusal((_from_verdict(verdict),), leaf), None
        if verdict.role is Role.KECAMATAN and not (sheet.reason or "").strip():
            return Refusal((problem(
                "CORRECTION-REASON", "koreksi oleh PPK wajib menyertakan alasan (reason)",
                "a correction signed by the PPK must carry a reason",
                "reason", sheet.reason),), leaf), None
        slot = (sheet.tps, sheet.contest)
        new_key = VersionKey(rank_of(verdict.role), sheet.revision)
        current = self._pending.get(slot, (None, -1))[0]
        if current is None:
            cur = self.tally.current(sheet.tps, sheet.contest)
            current = None if cur is None else VersionKey(cur.rank, cur.revision)
        decision = judge(current, new_key)
        if isinstance(decision, Stale):
            return Refusal((Problem(
                decision.code, decision.message_id, decision.message_en, ("revision",),
                {"revision": sheet.revision, "rank": new_key.rank}),), leaf), None
        self._pending[slot] = (new_key, at)
        receipt = Receipt(at, leaf, TYPE_SHEET, sheet_verdict, flags, sheet.tps,
                          str(sheet.contest))
        return receipt, _Accepted(at, item.raw, leaf, verdict.signer, receipt, None, sheet,
                                  verdict.role)

    # ------------------------------------------------------------ indexing
    def _commit(self, accepted: list[_Accepted], applied_size: int) -> None:
        received = now_utc()
        batch = Batch(applied_size)
        versions: list[SheetVersion] = []
        for a in accepted:
            r = a.receipt
            flags = _flags_encoder.encode(list(r.flags)) if r.flags else _NO_FLAGS
            if a.sheet is None:
                batch.documents.append(DocumentRow(
                    a.index, a.leaf, r.payload_type, r.verdict, flags, received,
                    signer=a.signer))
                self._key_changes(a, batch)
                continue
            role = a.role or Role.DEVICE
            batch.documents.append(DocumentRow(
                a.index, a.leaf, TYPE_SHEET, r.verdict, flags, received,
                tps=a.sheet.tps, contest=str(a.sheet.contest), revision=a.sheet.revision,
                rank=rank_of(role), signer=a.signer, role=str(role),
                reason=a.sheet.reason))
            s = a.sheet
            versions.append(SheetVersion(
                a.index, a.leaf, a.signer, role, r.verdict == "flagged",
                flag_codes(p.code for p in r.flags) if r.flags else (), s.tps, s.contest,
                s.revision, s.reason, s.counts, received))
        applied: list[Applied] = self.tally.apply_many(
            [v for v in versions if v.index > self.tally.as_of_index])
        batch.superseded = [(x.previous, x.index) for x in applied
                            if x.status == "current" and x.previous is not None]
        if applied:
            self._documents.discard(touched_docs(applied, self.shape))
        self.store.commit(batch)
        self._leaves.update(a.leaf for a in accepted)
        # The tally now holds exactly what the store says is applied: a forked
        # child snapshots this state while the next batches go on
        # (saksi.ingest.snapshots), spaced so that the children take at most
        # 1/SNAPSHOT_SHARE of the time.
        now = time.monotonic()
        if now - self._last_freeze > FREEZE_SECONDS:
            gc.collect(1)
            gc.freeze()
            self._last_freeze = now
        cost = self._snapshots.last_seconds or 0.0
        if (now - self._last_snapshot > max(SNAPSHOT_SECONDS, SNAPSHOT_SHARE * cost)
                and self._snapshot_fits() and self._snapshots.start(self.tally)):
            self._last_snapshot = now

    def _key_changes(self, a: _Accepted, batch: Batch) -> None:
        assert a.envelope is not None  # every accepted control document keeps it
        ptype = a.envelope.payload_type
        if ptype not in (TYPE_AUTHORITY, TYPE_ENROLMENT, TYPE_REVOCATION):
            if ptype != TYPE_SHEET:  # the manifest introduces the root key
                root = self.registry.root
                if root is not None and root.valid_from == a.index:
                    batch.keys.append(_key_row(root.keyid, self.registry))
            return
        doc = decode_payload(ptype, a.envelope.payload)
        if isinstance(doc, Revocation):
            batch.revocations.append((doc.keyid, a.index))
        elif isinstance(doc, AuthorityCertificate | Enrolment):
            keyid = key_id(bytes.fromhex(doc.key))
            if self.registry.key(keyid) is not None:
                batch.keys.append(_key_row(keyid, self.registry))

    def _snapshot_now(self) -> None:
        if self._snapshot_fits():
            self.store.commit(Batch(self.store.applied_size(),
                                    snapshot=self.tally.snapshot()))

    def _snapshot_fits(self) -> bool:
        return self.tally.slot_count <= SNAPSHOT_MAX_SLOTS

    # ------------------------------------------------------------ publishing
    def documents(self, names: Sequence[tuple[str, str]]) -> list[Published | None]:
        """The public documents ``(kind, key)`` as of now, ``None`` for one
        that does not exist (a contest not held in a region, a TPS without
        sheets yet, an unknown name)."""
        out: list[Published | None] = []
        for name in names:
            doc = self._documents.get(name)
            if doc is None and self._exists(*name):
                kind, key = name
                stored = self._tps_documents(key) if kind == "tps" else []
                # The tally keeps only counts: a TPS page shows the signed
                # sheets, whose bytes are in the log.
                raws = {r.index: self._entries.entry(r.index) for r in stored}
                sheets = {r.index: decode_canonical(env.decode(raws[r.index]).payload)
                          for r in stored if r.payload_type == TYPE_SHEET}
                body = render_encode(render(self.tally, kind, key, self._render_cache, sheets))
                if kind == "tps":
                    body = self._tps_body(key, body, stored, raws)
                doc = Published(kind, key, etag_of(body), self.tally.as_of_index, body)
                self._documents.put(name, doc)
            out.append(doc)
        return out

    def _exists(self, kind: str, key: str) -> bool:
        shape = self.shape
        try:
            if kind == "region":
                contest, _, code = key.partition("/")
                return bool(shape.expected.get((Contest(contest), code)))
            if kind == "dapil":
                return bool(shape.expected_dapil.get(key))
            if kind == "seats":
                c = Contest(key)
                return c.is_party_contest and bool(shape.expected.get((c, NATIONAL)))
            if kind == "progress":
                return key == NATIONAL
            if kind == "tps":
                t = shape.tps.get(key)
                return t is not None and any(self.tally.history(key, c) for c in t.contests)
        except (ValueError, SaksiError):
            return False
        return False

    def _tps_documents(self, code: str) -> list[DocumentRow]:
        """Every sheet version of a TPS the log holds, as indexed: the tally's
        history names them (stale ones too), the store reads them by index."""
        return self.store.documents_at([
            h.index for contest in self.shape.tps_shape(code).contests
            for h in self.tally.history(code, contest)])

    def _tps_body(self, code: str, tally_doc: bytes, stored: Sequence[DocumentRow],
                  raws: dict[int, bytes]) -> bytes:
        """The tally's TPS document plus every signed document of the TPS: the
        exact envelope (signatures included), its receipt fields and time."""
        rows = {r.index: r for r in stored}
        documents = [{
            "index": r.index, "leaf_hash": r.leaf_hash, "contest": r.contest,
            "revision": r.revision, "rank": r.rank, "signer": r.signer, "role": r.role,
            "reason": r.reason, "verdict": r.verdict, "flags": msgspec.Raw(r.flags),
            "received_at": r.received_at, "superseded_by": r.superseded_by,
            "envelope": msgspec.Raw(raws[r.index]),
        } for _, r in sorted(rows.items())]
        superseded = {h.index: h.superseded_by
                      for contest in self.shape.tps_shape(code).contests
                      for h in self.tally.history(code, contest) if h.superseded_by is not None}
        for d in documents:
            idx = d["index"]
            assert isinstance(idx, int)
            if idx in superseded:
                d["superseded_by"] = superseded[idx]
        return with_documents(tally_doc, documents)


def with_documents(tally_doc: bytes, documents: Sequence[Mapping[str, object]]) -> bytes:
    """The TPS document's JSON object with a last member ``"documents"``.

    The tally's document has no such member, so appending it to the bytes
    equals decoding the object, adding the member and re-encoding it (tested),
    without the decode and re-encode."""
    return b"".join((tally_doc[:-1], b',"documents":', msgspec.json.encode(documents), b"}"))


class DocumentCache:
    """Rendered documents by name, least recently used dropped first once
    their bodies exceed ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._docs: OrderedDict[tuple[str, str], Published] = OrderedDict()

    def get(self, name: tuple[str, str]) -> Published | None:
        doc = self._docs.get(name)
        if doc is not None:
            self._docs.move_to_end(name)
        return doc

    def put(self, name: tuple[str, str], doc: Published) -> None:
        self.discard((name,))
        self._docs[name] = doc
        self.size += len(doc.body)
        while self.size > self.max_bytes and self._docs:
            _, old = self._docs.popitem(last=False)
            self.size -= len(old.body)

    def discard(self, names: Iterable[tuple[str, str]]) -> None:
        for name in names:
            old = self._docs.pop(name, None)
            if old is not None:
                self.size -= len(old.body)

    def __len__(self) -> int:
        return len(self._docs)


def _counts(tally: Tally, sheet: Sheet) -> list[int]:
    dapil = tally.shape.tps_shape(sheet.tps).dapil.get(sheet.contest)
    return counts_of(sheet, tally.layout(sheet.contest, dapil))


def _key_row(keyid: str, registry: Registry) -> KeyRow:
    rec = registry.key(keyid)
    assert rec is not None
    return KeyRow(rec.keyid, rec.public_key, str(rec.role), rec.scope, rec.valid_from,
                  registry.revoked_at(rec.keyid))


def _sheet_slot(item: Item) -> tuple[str, Contest] | None:
    """(TPS, contest) of a sheet item, as the worker read it or, for an item
    it did not (none of ours leaves a sheet so), from its bytes; None for a
    control document."""
    if item.tps:
        with contextlib.suppress(ValueError):
            return item.tps, Contest(item.contest)
        return None
    try:
        envelope = env.decode(item.raw)
        if envelope.payload_type != TYPE_SHEET:
            return None
        sheet = decode_sheet(envelope.payload)
    except SaksiError:
        return None
    return sheet.tps, sheet.contest


def duplicate_receipt(row: DocumentRow) -> Receipt:
    """The receipt given again for bytes already logged, from their index row."""
    flags = msgspec.json.decode(row.flags, type=tuple[Problem, ...])
    return Receipt(row.index, row.leaf_hash, row.payload_type, row.verdict, flags,
                   row.tps, row.contest, duplicate=True)


__all__ = ["DocumentCache", "Sequencer", "duplicate_receipt", "etag_of", "now_utc",
           "with_documents"]
