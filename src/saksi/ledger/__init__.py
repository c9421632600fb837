"""saksi.ledger — an append-only C2SP tiled transparency log and its witnesses.

Public entry points: :class:`Log`, :class:`LogKey` (the log), :func:`verify_tiles`
(full offline verification of ``DIR/log``); proofs and notes live in
:mod:`saksi.ledger.merkle`, :mod:`saksi.ledger.note`, :mod:`saksi.ledger.checkpoint`.
"""

from __future__ import annotations

from saksi.ledger.log import Log, LogKey
from saksi.ledger.verify import TileVerificationError, verify_tile_set, verify_tiles

__all__ = ["Log", "LogKey", "TileVerificationError", "verify_tile_set", "verify_tiles"]
