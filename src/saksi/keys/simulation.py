"""Simulated device keys, derived from a secret master seed.

Real KPPS devices generate their own keys. A simulation of 820,000 TPS would
otherwise need 820,000 key files, so each simulated device key is derived
from a secret 32-byte master seed kept 0600 under ``DIR/keys/``. It is not
derived from the public election seed: anyone who knows that could forge
every TPS's signature.
"""

from __future__ import annotations

import hashlib
import hmac

from nacl.signing import SigningKey

_LABEL = b"saksi-device-v1:"


def device_seed(master: bytes, tps_code: str) -> bytes:
    """HMAC-SHA256(master, "saksi-device-v1:" + TPS code): the Ed25519 seed."""
    if len(master) != 32:
        raise ValueError("the simulation master seed is 32 bytes")
    return hmac.new(master, _LABEL + tps_code.encode("ascii"), hashlib.sha256).digest()


def device_key(master: bytes, tps_code: str) -> SigningKey:
    """The simulated device key of ``tps_code``."""
    return SigningKey(device_seed(master, tps_code))
