"""The control documents carried in envelopes, with canonical bytes.

Each is a frozen msgspec Struct whose fields are declared in sorted order, all
required, no unknown fields. Canonical bytes are msgspec's compact JSON of the
struct; ``decode_*`` accepts only bytes equal to the re-encoding of what they
parse to. Strings may not hold control characters, so the only escapes that
can occur are ``\\"`` and ``\\\\``. The version lives in the payload type
(``…v1+json``): a new shape is a new type.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec

from saksi.errors import InputError
from saksi.keys.envelope import (
    TYPE_AUTHORITY,
    TYPE_ENROLMENT,
    TYPE_MANIFEST,
    TYPE_REVOCATION,
)
from saksi.keys.ids import Role

HexKey = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}\Z")]
# KPU codes are digits, except that overseas (province 99) cities past 9999
# are numbered 99AA, 99AB, …: codes under "99" may hold capital letters.
REGION_CODE_PATTERN = (
    r"^(0|[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|99[0-9A-Z]{2}|99[0-9A-Z]{4}|99[0-9A-Z]{8})\Z"
)
TPS_CODE_PATTERN = r"^([0-9]{13}|99[0-9A-Z]{11})\Z"
RegionCode = Annotated[str, msgspec.Meta(pattern=REGION_CODE_PATTERN)]
TpsCode = Annotated[str, msgspec.Meta(pattern=TPS_CODE_PATTERN)]
Text = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x1f]{1,256}\Z")]
Origin = Annotated[str, msgspec.Meta(pattern=r"^[!-~]{1,256}\Z")]

# Scope code length each certified role must have ("0" or a province code
# for witnesses, who may watch the whole election or one region).
_SCOPE_LENGTHS: dict[Role, frozenset[int]] = {
    Role.PROVINSI: frozenset({2}),
    Role.KABKOTA: frozenset({4}),
    Role.KECAMATAN: frozenset({6}),
    Role.WITNESS: frozenset({1, 2, 4, 6, 10}),
}
CERTIFIABLE_ROLES = frozenset(_SCOPE_LENGTHS)


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The election's first log entry, self-signed by the KPU root key."""

    election_sha256: HexKey  # hash of the election index (saksi.election manifest)
    log_origin: Origin
    root_key: HexKey  # raw Ed25519 public key, hex
    scope: RegionCode  # region of the election: "0" national, else its code


class AuthorityCertificate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Root → authority (or witness) key, for one role within one region."""

    key: HexKey
    name: Text
    role: Role
    scope: RegionCode

    def __post_init__(self) -> None:
        allowed = _SCOPE_LENGTHS.get(self.role)
        if allowed is None:
            raise ValueError(f"role {self.role.value!r} cannot be certified")
        if len(self.scope) not in allowed:
            raise ValueError(f"scope {self.scope!r} does not fit role {self.role.value!r}")


class Enrolment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Kab/kota authority → the device key of one TPS."""

    key: HexKey
    tps: TpsCode


class Revocation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The issuer revokes a key from this log position on."""

    keyid: HexKey
    reason: Text


ControlDocument = Manifest | AuthorityCertificate | Enrolment | Revocation

PAYLOAD_CLASSES: dict[str, type[ControlDocument]] = {
    TYPE_MANIFEST: Manifest,
    TYPE_AUTHORITY: AuthorityCertificate,
    TYPE_ENROLMENT: Enrolment,
    TYPE_REVOCATION: Revocation,
}
TYPE_OF: dict[type[ControlDocument], str] = {v: k for k, v in PAYLOAD_CLASSES.items()}

_encoder = msgspec.json.Encoder()
_decoders = {t: msgspec.json.Decoder(c) for t, c in PAYLOAD_CLASSES.items()}

T = TypeVar("T", Manifest, AuthorityCertificate, Enrolment, Revocation)


def encode_payload(document: ControlDocument) -> bytes:
    """Canonical bytes of a control document (validated like decoded ones)."""
    data = _encoder.encode(document)
    decode_payload(TYPE_OF[type(document)], data)
    return data


def decode_payload(payload_type: str, data: bytes) -> ControlDocument:
    """Parse the canonical bytes of a control document of ``payload_type``."""
    decoder = _decoders.get(payload_type)
    if decoder is None:
        raise InputError(
            "payloadType",
            payload_type,
            "bukan jenis dokumen kendali",
            "not a control document type",
        )
    try:
        document = decoder.decode(data)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: invalid UTF-8
        raise InputError(
            "payload", payload_type, f"muatan tidak sah: {exc}", f"invalid payload: {exc}"
        ) from None
    if _encoder.encode(document) != data:
        raise InputError(
            "payload",
            payload_type,
            "muatan tidak dalam bentuk kanonik",
            "payload is not in canonical form",
        )
    return document


def decode_as(cls: type[T], data: bytes) -> T:
    document = decode_payload(TYPE_OF[cls], data)
    assert isinstance(document, cls)
    return document
