"""Signature checks with picklable inputs and outputs, for process pools.

The registry decides *which* keys must have signed; the expensive Ed25519
work can run elsewhere:

    keys = registry.public_keys(envelope)          # dict[str, bytes]
    check = pool.submit(verify_envelope_signatures, raw, keys).result()
    verdict = registry.check_sheet(raw, tps, at, verified=check.ok)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions

from saksi.keys.envelope import EnvelopeError, decode, pae


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """``code`` is "OK", "SIG-INVALID", "KEY-UNKNOWN" or an envelope error
    code; ``keyid`` names the first failing signature."""

    ok: bool
    code: str
    keyid: str | None = None


def verify_envelope_signatures(
    envelope: bytes, public_keys: Mapping[str, bytes]
) -> SignatureCheck:
    """Check every signature of ``envelope`` against ``public_keys`` (key id →
    raw public key). Never raises for bad input."""
    try:
        env = decode(envelope)
    except EnvelopeError as exc:
        return SignatureCheck(False, exc.code)
    message = pae(env.payload_type, env.payload)
    for sig in env.signatures:
        pk = public_keys.get(sig.keyid)
        if pk is None:
            return SignatureCheck(False, "KEY-UNKNOWN", sig.keyid)
        try:
            nacl.bindings.crypto_sign_open(sig.sig + message, pk)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
            return SignatureCheck(False, "SIG-INVALID", sig.keyid)
    return SignatureCheck(True, "OK")


def verify_many(
    items: Sequence[tuple[bytes, Mapping[str, bytes]]],
) -> list[SignatureCheck]:
    """``verify_envelope_signatures`` over a batch: one pool task per chunk
    amortises the pickling overhead."""
    return [verify_envelope_signatures(env, keys) for env, keys in items]
