"""The service's optional C accelerator (``saksi.ingest._fast``), wired once.

``CLEAN`` checks a canonical, clean sheet signed by known keys in one call (the
workers' precheck); ``COUNTS`` reads a canonical sheet's counts without rules or
signatures (the restart's replay of sheets accepted before). Each is None where
the accelerator is not built, or with ``SAKSI_INGEST_NO_ACCEL`` set; ``CLEAN``
also where PyNaCl's libsodium has no ``crypto_sign_verify_detached``. Both
answer None for whatever is not their case, and the caller takes the Python
path, which stays the reference (ADR 0004).
"""

from __future__ import annotations

import ctypes
import importlib
import os
from collections.abc import Callable

from saksi.election.model import Contest
from saksi.sheets.model import SCHEMA
from saksi.sheets.shape import list_of

__all__ = ["CLEAN", "COUNTS", "Clean", "Counts", "LayoutOf", "SpecOf"]

KeyOf = Callable[[str], bytes | None]
# (dpt_l, dpt_p, dpt cap or -1, the ballot's packed numbers, P, K)
SpecOf = Callable[[str, str], "tuple[int, int, int, bytes, int, int] | None"]
LayoutOf = Callable[[str, str], "tuple[int, int] | None"]  # (P, K)
Clean = Callable[[bytes, str, SpecOf, KeyOf],
                 "tuple[str, str, int, str | None, tuple[str, ...], list[int]] | None"]
Counts = Callable[[bytes, str, LayoutOf], "tuple[str, str, int, str | None, list[int]] | None"]

_LISTS = ("tickets", "candidates", "parties")  # the accelerator's 0, 1, 2


def _sodium_verify() -> int | None:
    """The address of crypto_sign_verify_detached in the libsodium PyNaCl loaded."""
    try:
        sodium = importlib.import_module("nacl._sodium")
        address = ctypes.cast(ctypes.CDLL(sodium.__file__).crypto_sign_verify_detached,
                              ctypes.c_void_p).value
    except (ImportError, OSError, AttributeError):
        return None
    return address or None


def _wire() -> tuple[Clean | None, Counts | None]:
    if os.environ.get("SAKSI_INGEST_NO_ACCEL"):
        return None, None
    try:
        from saksi.ingest import _fast
    except ImportError:  # installed without a C compiler
        return None, None
    _fast.configure(tuple((c.value, _LISTS.index(list_of(c))) for c in Contest), SCHEMA)
    address = _sodium_verify()
    if address is None:
        return None, _fast.counts
    _fast.use_sodium(address)
    return _fast.clean, _fast.counts


CLEAN, COUNTS = _wire()
