"""Key ids and the roles a key can hold."""

from __future__ import annotations

import hashlib
from enum import StrEnum

# Domain separation, so a key id can never collide with another SHA-256 use.
_KEYID_PREFIX = b"saksi-keyid-v1:ed25519:"

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class Role(StrEnum):
    """What a key may sign. ``ROOT`` and ``DEVICE`` are never certified by an
    authority certificate: the root is named by the manifest, devices by
    enrolments."""

    ROOT = "root"
    PROVINSI = "provinsi"
    KABKOTA = "kabkota"
    KECAMATAN = "kecamatan"
    WITNESS = "witness"
    DEVICE = "device"


def key_id(public_key: bytes) -> str:
    """Lower-case hex SHA-256 of ``"saksi-keyid-v1:ed25519:"`` + the raw 32-byte key."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(_KEYID_PREFIX + public_key).hexdigest()
