"""``Ingestor``: the submission pipeline in one process, for ``saksi ingest``.

It is the same pipeline the HTTP service runs, without the socket between
them: :func:`saksi.ingest.precheck.precheck` (stateless: size, envelope,
sheet shape and rules, canonical form, Ed25519 signatures) followed by the
:class:`saksi.ingest.sequencer.Sequencer` (the one writer: trust at the exact
log position, PPK reasons, revision precedence, durable append, index, tally,
published documents). Documents ingested offline are therefore indexed in the
same store a later ``saksi serve`` opens, and a stale revision is refused
here exactly as over HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from saksi.ingest.outcome import Outcome
from saksi.ingest.precheck import Layouts, precheck
from saksi.ingest.sequencer import Sequencer
from saksi.store.base import default_url


class Ingestor:
    """Checks signed documents and appends the acceptable ones to the log."""

    def __init__(self, sequencer: Sequencer) -> None:
        self.sequencer = sequencer
        self.election = sequencer.election
        self.log = sequencer.log
        self.registry = sequencer.registry
        self._layouts = Layouts(self.election, self.election.parties)

    @classmethod
    def open(cls, directory: Path, store_url: str | None = None) -> Ingestor:
        """Open an election whose keys were initialised (default store:
        SQLite in ``DIR/saksi.sqlite``)."""
        directory = Path(directory)
        return cls(Sequencer.open(directory, store_url or default_url(directory)))

    def _public_key(self, keyid: str) -> bytes | None:
        # In one process the registry is always current, including control
        # documents accepted earlier in the same batch.
        record = self.registry.key(keyid)
        return None if record is None else record.public_key

    def submit(self, raw: bytes) -> Outcome:
        return self.submit_many([raw])[0]

    def submit_many(self, raws: Sequence[bytes]) -> list[Outcome]:
        """One outcome per document, in order; accepted ones are durable in
        the log (one batch) and indexed before this returns."""
        items = [precheck(raw, self.election, self._public_key, self._layouts) for raw in raws]
        return self.sequencer.sequence(items)

    def close(self) -> None:
        self.sequencer.close()

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["Ingestor"]
