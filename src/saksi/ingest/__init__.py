"""The submission pipeline: signed document → checks → log → receipt.

``saksi ingest`` (offline) and the HTTP API run the same :class:`Ingestor`.
"""

from saksi.ingest.outcome import Outcome, Problem, Receipt, Refusal
from saksi.ingest.pipeline import Ingestor

__all__ = ["Ingestor", "Outcome", "Problem", "Receipt", "Refusal"]
