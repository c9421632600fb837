"""What the pipeline answers for one submitted document.

A :class:`Receipt` means the exact bytes are durable in the log at ``index``;
a :class:`Refusal` means nothing entered the log. Both are wire structs: the
CLI prints them as JSON lines and the HTTP API returns them.
"""

from __future__ import annotations

import msgspec


class Problem(msgspec.Struct, frozen=True):
    """One reason, naming the rule or check, the fields and their values."""

    code: str
    message_id: str
    message_en: str
    fields: tuple[str, ...] = ()
    values: dict[str, int | str | None] = {}


class Receipt(msgspec.Struct, frozen=True, tag="accepted", tag_field="status"):
    index: int
    leaf_hash: str  # hex SHA-256 of 0x00 || entry (RFC 6962 leaf hash)
    payload_type: str
    verdict: str  # "clean" or "flagged" for sheets, "clean" for control documents
    flags: tuple[Problem, ...] = ()
    tps: str | None = None
    contest: str | None = None
    duplicate: bool = False  # the same bytes were already in the log


class Refusal(msgspec.Struct, frozen=True, tag="refused", tag_field="status"):
    reasons: tuple[Problem, ...]
    leaf_hash: str | None = None


Outcome = Receipt | Refusal


class Item(msgspec.Struct, frozen=True, array_like=True):
    """One submitted document after the worker's stateless checks."""

    raw: bytes
    leaf_hash: str
    refusal: Refusal | None = None  # refused already: the sequencer only echoes it
    verified: bool = False  # every signature verified against its registered key
    verdict: str = ""  # sheets: the rules' verdict (clean / flagged) …
    flags: tuple[Problem, ...] = ()  # … and their flags, so the sequencer need not re-run them
    # Sheets the worker decoded: what the sequencer needs of the sheet, so it
    # never decodes it again — its slot, and its counts (saksi.tally.counts)
    # laid out for its ballot. Empty counts: the sequencer decodes the sheet.
    tps: str = ""
    contest: str = ""
    revision: int = 0
    reason: str | None = None
    counts: list[int] = []
    # The key ids of the signatures, in order, once all were verified: the
    # sequencer judges the signers without decoding the envelope again.
    signers: tuple[str, ...] = ()


class Published(msgspec.Struct, frozen=True, array_like=True):
    """A public document rendered from the live tally, served byte for byte.

    ``etag`` is a strong validator of ``body``; ``as_of_index`` is the highest
    log index the tally had applied when it was rendered."""

    kind: str
    key: str
    etag: str
    as_of_index: int
    body: bytes
