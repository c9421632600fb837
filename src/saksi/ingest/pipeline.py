"""The one submission pipeline behind ``saksi ingest`` and the HTTP API.

For each document, in this order (cheapest refusals first, and nothing
refused ever reaches the log):

1. size: an entry is at most 64 KiB (the tile format's uint16 length);
2. idempotence: bytes already in the log get their original receipt back;
3. envelope: canonical DSSE-style JSON (``saksi.keys.envelope``);
4. trust: the registry decides whether the signers may sign this document at
   the log position it would take (root → authority → enrolment → device,
   revocations by log position);
5. sheet rules (``saksi.sheets.rules``): rejections refuse the document,
   flags are recorded in the receipt and the sheet is kept exactly as signed;
6. the log: accepted bytes are appended in one batch; the receipt is given
   only once they are durable and covered by a signed checkpoint.

Exactly one ``Ingestor`` may write a log at a time: it predicts the index each
accepted document will take so that the trust checks of later documents in
the same batch see earlier ones (an enrolment followed by its first sheet).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from saksi.election import Election
from saksi.errors import StateError
from saksi.ingest.outcome import Outcome, Problem, Receipt, Refusal
from saksi.keys import envelope as env
from saksi.keys.envelope import CONTROL_TYPES, TYPE_SHEET, Envelope, EnvelopeError
from saksi.keys.hierarchy import read_index
from saksi.keys.ids import Role
from saksi.keys.registry import Registry, Verdict
from saksi.ledger import Log
from saksi.sheets.canonical import is_canonical
from saksi.sheets.model import Sheet
from saksi.sheets.rules import CheckResult, RuleResult, parse_and_check
from saksi.sheets.rules import Verdict as SheetVerdict

MAX_ENTRY_BYTES = 64 * 1024


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def _problem(code: str, message_id: str, message_en: str, field: str = "",
             value: int | str | None = None) -> Problem:
    if not field:
        return Problem(code, message_id, message_en)
    return Problem(code, message_id, message_en, (field,), {field: value})


def _from_rule(result: RuleResult) -> Problem:
    return Problem(result.code, result.message_id, result.message_en, result.fields,
                   dict(result.values))


def _from_verdict(verdict: Verdict) -> Problem:
    return _problem(verdict.code, verdict.message_id, verdict.message_en,
                    "signatures", verdict.signer)


class Ingestor:
    """Checks signed documents and appends the acceptable ones to the log."""

    def __init__(self, election: Election, log: Log, registry: Registry,
                 seen: dict[bytes, int]) -> None:
        self.election = election
        self.log = log
        self.registry = registry
        self._seen = seen

    @classmethod
    def open(cls, directory: Path) -> Ingestor:
        """Open an election whose keys were initialised, replaying its log.

        The log is our own, so signatures in it were checked when they were
        appended; replay only rebuilds the trust registry and the index of
        leaf hashes that makes resubmission idempotent.
        """
        directory = Path(directory)
        election = Election.open(directory)
        root = bytes.fromhex(read_index(directory).root.public_key)
        log = Log.open(directory)
        registry = Registry(root)
        seen: dict[bytes, int] = {}
        for index, entry in enumerate(log.entries()):
            registry.observe(index, entry, verify=False)
            seen[leaf_hash(entry)] = index
        return cls(election, log, registry, seen)

    def close(self) -> None:
        self.log.close()
        self.election.close()

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ submit
    def submit(self, raw: bytes) -> Outcome:
        return self.submit_many([raw])[0]

    def submit_many(self, raws: Sequence[bytes]) -> list[Outcome]:
        """Check every document, append the acceptable ones in one batch, and
        answer one outcome per document, in order."""
        outcomes: list[Outcome] = []
        accepted: list[bytes] = []
        next_index = self.log.size
        for raw in raws:
            outcome = self._check(raw, next_index)
            if isinstance(outcome, Receipt) and not outcome.duplicate:
                self.registry.observe(next_index, raw, verify=False)
                self._seen[bytes.fromhex(outcome.leaf_hash)] = next_index
                accepted.append(raw)
                next_index += 1
            outcomes.append(outcome)
        if accepted:
            indices = self.log.append_many(accepted)
            expected = list(range(next_index - len(accepted), next_index))
            if indices != expected:
                raise StateError(
                    "log ditulis oleh proses lain; hanya satu penulis yang diizinkan",
                    "the log was written by another process; only one writer is allowed",
                )
        return outcomes

    # ------------------------------------------------------------------ checks
    def _check(self, raw: bytes, at_index: int) -> Outcome:
        if len(raw) > MAX_ENTRY_BYTES:
            return Refusal((_problem(
                "ENTRY-TOO-LARGE",
                f"dokumen {len(raw)} byte melebihi batas {MAX_ENTRY_BYTES} byte",
                f"document of {len(raw)} bytes exceeds the {MAX_ENTRY_BYTES}-byte limit",
                "size", len(raw)),))
        leaf = leaf_hash(raw)
        try:
            envelope = env.decode(raw)
        except EnvelopeError as exc:
            return Refusal((_problem(exc.code, exc.message_id, exc.message_en,
                                     exc.field, str(exc.value)),), leaf.hex())
        previous = self._seen.get(leaf)
        if previous is not None:
            return self._duplicate(envelope, previous, leaf)
        if envelope.payload_type in CONTROL_TYPES:
            verdict = self.registry.check_control(envelope, at_index)
            if not verdict.ok:
                return Refusal((_from_verdict(verdict),), leaf.hex())
            return Receipt(at_index, leaf.hex(), envelope.payload_type, "clean")
        if envelope.payload_type == TYPE_SHEET:
            return self._check_sheet(envelope, at_index, leaf)
        return Refusal((_problem(
            "PAYLOAD-TYPE", f"jenis dokumen tidak dikenal: {envelope.payload_type}",
            f"unknown document type: {envelope.payload_type}",
            "payloadType", envelope.payload_type),), leaf.hex())

    def _check_sheet(self, envelope: Envelope, at_index: int, leaf: bytes) -> Outcome:
        sheet, result = parse_and_check(envelope.payload, self.election)
        if sheet is None or result.verdict is SheetVerdict.REJECTED:
            return Refusal(tuple(_from_rule(r) for r in result.results), leaf.hex())
        if not is_canonical(envelope.payload):
            return Refusal((_problem(
                "CH-CANONICAL",
                "isi lembar yang ditandatangani harus dalam bentuk kanonis",
                "the signed sheet payload must be in canonical form",
                "payload", None),), leaf.hex())
        verdict = self.registry.check_sheet(envelope, sheet.tps, at_index)
        if not verdict.ok:
            return Refusal((_from_verdict(verdict),), leaf.hex())
        if verdict.role is Role.KECAMATAN and not (sheet.reason or "").strip():
            return Refusal((_problem(
                "CORRECTION-REASON",
                "koreksi oleh PPK wajib menyertakan alasan (reason)",
                "a correction signed by the PPK must carry a reason",
                "reason", sheet.reason),), leaf.hex())
        return self._receipt(at_index, leaf, sheet, result)

    @staticmethod
    def _receipt(index: int, leaf: bytes, sheet: Sheet, result: CheckResult,
                 duplicate: bool = False) -> Receipt:
        return Receipt(index, leaf.hex(), TYPE_SHEET, str(result.verdict),
                       tuple(_from_rule(r) for r in result.results),
                       sheet.tps, str(sheet.contest), duplicate)

    def _duplicate(self, envelope: Envelope, index: int, leaf: bytes) -> Receipt:
        if envelope.payload_type != TYPE_SHEET:
            return Receipt(index, leaf.hex(), envelope.payload_type, "clean", duplicate=True)
        sheet, result = parse_and_check(envelope.payload, self.election)
        if sheet is None:  # cannot happen for bytes we accepted; be explicit anyway
            raise StateError(f"entri log {index} bukan lembar yang sah",
                             f"log entry {index} is not a valid sheet")
        return self._receipt(index, leaf, sheet, result, duplicate=True)


__all__ = ["MAX_ENTRY_BYTES", "Ingestor", "leaf_hash"]
