"""``saksi ingest DIR FILE...``: offline submission through the same pipeline
as the HTTP API, one JSON receipt or refusal per document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ingest",
        help="periksa dan catat dokumen bertanda tangan / check and log signed documents",
        description="Each FILE holds one signed envelope, or several, one per line "
        "(`-` reads standard input). Prints one JSON line per document: a receipt "
        "(status accepted: log index, leaf hash, flags) or a refusal (status refused: "
        "reasons). Exit 0 = all accepted clean, 1 = all accepted, some flagged, "
        "2 = at least one refused.",
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", default=None, metavar="URL",
                   help="postgresql://… (default: SQLite in DIR/saksi.sqlite, the store "
                   "`saksi serve` uses)")
    p.set_defaults(handler=_ingest)


def read_documents(name: str) -> list[tuple[str, bytes]]:
    """Documents of one file: canonical envelopes contain no raw newline, so a
    file holds one per non-empty line; the line break itself is not part of it."""
    data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    lines = [line.rstrip(b"\r") for line in data.split(b"\n")]
    docs = [line for line in lines if line.strip()]
    if len(docs) == 1:
        return [(name, docs[0])]
    return [(f"{name}:{n}", doc) for n, doc in enumerate(docs, 1)]


def _ingest(args: argparse.Namespace) -> int:
    import msgspec

    from saksi.errors import InputError
    from saksi.ingest.outcome import Receipt
    from saksi.ingest.pipeline import Ingestor

    documents: list[tuple[str, bytes]] = []
    for name in args.files:
        try:
            documents.extend(read_documents(name))
        except OSError as exc:
            raise InputError("FILE", name, f"berkas tidak dapat dibaca: {exc.strerror}",
                             f"cannot read file: {exc.strerror}") from None
    worst = 0
    with Ingestor.open(args.directory, args.db) as ingestor:
        outcomes = ingestor.submit_many([doc for _, doc in documents])
    out = sys.stdout.buffer
    for (name, _), outcome in zip(documents, outcomes, strict=True):
        record = msgspec.to_builtins(outcome)
        record["file"] = name
        out.write(msgspec.json.encode(record) + b"\n")
        level = (1 if outcome.flags else 0) if isinstance(outcome, Receipt) else 2
        worst = max(worst, level)
    out.flush()
    return worst
