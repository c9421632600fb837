"""Ed25519 verification of an entry's signature over its PAE (libsodium via PyNaCl).

With the C accelerator built, libsodium's ``crypto_sign_verify_detached`` (the
function PyNaCl's ``crypto_sign_open`` runs, found in the very library PyNaCl
loaded) is called directly: the PAE is assembled in one reused buffer and no
per-call Python buffers are allocated. Otherwise PyNaCl's public API serves. The
two give the same verdicts (tests/audit/test_ed25519.py). ``verify_pae`` takes the
payload type instead of the PAE's head: with the accelerator the head is written in
the same buffer (a sheet entry's head cost 0.5 us in Python)."""

from __future__ import annotations

import ctypes
import importlib
from collections.abc import Callable

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from saksi.audit.envelope import pae_head

try:
    from saksi.audit import _accel
except ImportError:  # installed without a C compiler
    _accel = None  # type: ignore[assignment]


def verify_pynacl(signature: bytes, head: bytes, payload: bytes, public: bytes) -> int:
    """1 if ``signature`` verifies over ``head + payload`` under ``public``, else 0."""
    if len(signature) != 64 or len(public) != 32:
        # PyNaCl passes a longer key on to libsodium, which reads its first 32 bytes
        return 0
    try:
        # libsodium takes signature and message as one buffer: built in one copy
        crypto_sign_open(b"".join((signature, head, payload)), public)
    except (BadSignatureError, ValueError):
        return 0
    return 1


def _direct() -> Callable[[bytes, bytes, bytes, bytes], int] | None:
    if _accel is None:
        return None
    try:
        sodium = importlib.import_module("nacl._sodium")  # the library PyNaCl loaded
        library = ctypes.CDLL(sodium.__file__)
        address = ctypes.cast(library.crypto_sign_verify_detached, ctypes.c_void_p).value
    except (ImportError, OSError, AttributeError):
        return None
    if not address:
        return None
    _accel.use_sodium(address)
    return _accel.verify


DIRECT = _direct()
# what the verifier calls: the direct path where there is one
verify: Callable[[bytes, bytes, bytes, bytes], int] = DIRECT or verify_pynacl


def verify_pae_py(signature: bytes, payload_type: str, payload: bytes, public: bytes) -> int:
    """``verify`` over DSSE's PAE of ``payload_type`` and ``payload`` (envelope.pae)."""
    return verify(signature, pae_head(payload_type, len(payload)), payload, public)


# the same with the PAE's head written by the accelerator, where the direct path is
verify_pae: Callable[[bytes, str, bytes, bytes], int] = (
    _accel.verify_pae if DIRECT is not None else verify_pae_py)
