"""The signed envelope: DSSE-style canonical JSON.

    {"payload":"<base64>","payloadType":"<type>","signatures":[{"keyid":"<hex>","sig":"<base64>"},…]}

Keys in this order (which is sorted order), no whitespace, standard base64
with padding. Each signature is Ed25519 over the DSSE v1 pre-authentication
encoding (PAE) of the type and the payload. Bytes are accepted only if they
are exactly the encoding of what they decode to, so ``encode(decode(b)) == b``
for every accepted ``b``; see docs/envelope-format.md.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from saksi.errors import InputError
from saksi.keys.ids import SIGNATURE_BYTES, key_id

MAX_ENVELOPE_BYTES = 64 * 1024
MAX_SIGNATURES = 16

TYPE_MANIFEST = "application/vnd.saksi.manifest.v1+json"
TYPE_AUTHORITY = "application/vnd.saksi.authority.v1+json"
TYPE_ENROLMENT = "application/vnd.saksi.enrolment.v1+json"
TYPE_REVOCATION = "application/vnd.saksi.revocation.v1+json"
TYPE_SHEET = "application/vnd.saksi.sheet.v1+json"

PAYLOAD_TYPES = frozenset(
    {TYPE_MANIFEST, TYPE_AUTHORITY, TYPE_ENROLMENT, TYPE_REVOCATION, TYPE_SHEET}
)
CONTROL_TYPES = frozenset({TYPE_MANIFEST, TYPE_AUTHORITY, TYPE_ENROLMENT, TYPE_REVOCATION})

_KEYID = re.compile(r"[0-9a-f]{64}")


class EnvelopeError(InputError):
    """Bytes that are not a canonical envelope. ``code`` is the reason code."""

    def __init__(self, code: str, message_id: str, message_en: str) -> None:
        super().__init__("envelope", code, message_id, message_en)
        self.code = code


class Signature(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    keyid: str
    sig: bytes


class Envelope(
    msgspec.Struct,
    frozen=True,
    forbid_unknown_fields=True,
    rename={"payload_type": "payloadType"},
):
    payload: bytes
    payload_type: str
    signatures: tuple[Signature, ...]

    @property
    def signer(self) -> str:
        """Key id of the first signature: the submitter."""
        return self.signatures[0].keyid

    @property
    def keyids(self) -> tuple[str, ...]:
        return tuple(s.keyid for s in self.signatures)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)

# The canonical spelling is one rigid template: base64, lower-case hex and the
# known payload types never need a JSON escape. ``_decode_template`` reads that
# template without building JSON objects or re-encoding the payload; anything
# else goes to the full decoder, which also names what is wrong. What it saves
# is the payload's second base64 pass, so it pays off only on a large envelope
# (a party contest's sheet); below some 3 KB the full decoder is as fast.
_TEMPLATE_FROM = 3 * 1024
_HEAD = b'{"payload":"'
_TYPE_KEY = b'","payloadType":"'
_SIGNATURES_KEY = b'","signatures":['
_TAIL = b"]}"
# 64 bytes are 86 base64 digits and "==": the last digit carries 2 bits and its
# 4 pad bits must be zero in the canonical spelling, so it is one of A, Q, g, w.
_SIGNATURE = rb'\{"keyid":"([0-9a-f]{64})","sig":"([A-Za-z0-9+/]{85}[AQgw]==)"\}'
_ONE_SIGNATURE = re.compile(_SIGNATURE)
_SIGNATURE_LIST = re.compile(_SIGNATURE + rb"(?:," + _SIGNATURE + rb")*")
_TYPE_OF = {t.encode(): t for t in PAYLOAD_TYPES}
# A JSON string of standard base64: msgspec refuses characters outside the
# alphabet and misplaced padding, but (like binascii) not non-zero pad bits.
_base64 = msgspec.json.Decoder(bytes)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what every signature covers."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def encode(envelope: Envelope) -> bytes:
    """The canonical bytes of an envelope (checked like any decoded one)."""
    data = _encoder.encode(envelope)
    _check(envelope, data)
    return data


def decode(data: bytes) -> Envelope:
    """Parse canonical envelope bytes strictly; raise ``EnvelopeError`` otherwise."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(
            "ENVELOPE-TOO-LARGE",
            f"amplop melebihi {MAX_ENVELOPE_BYTES} bita",
            f"envelope exceeds {MAX_ENVELOPE_BYTES} bytes",
        )
    envelope = _decode_template(data) if len(data) >= _TEMPLATE_FROM else None
    if envelope is not None:
        return envelope
    try:
        envelope = _decoder.decode(data)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: invalid UTF-8
        raise EnvelopeError(
            "ENVELOPE-MALFORMED", f"amplop tidak sah: {exc}", f"malformed envelope: {exc}"
        ) from None
    if _encoder.encode(envelope) != data:
        raise EnvelopeError(
            "ENVELOPE-NONCANONICAL",
            "amplop tidak dalam bentuk kanonik",
            "envelope is not in canonical form",
        )
    _check(envelope, data)
    return envelope


def _decode_template(data: bytes) -> Envelope | None:
    """The envelope if ``data`` is exactly the canonical spelling of a valid one
    (what ``decode`` would return), else None. Never raises."""
    if type(data) is not bytes or not data.startswith(_HEAD) or not data.endswith(_TAIL):
        return None
    end = data.find(b'"', len(_HEAD))  # base64 holds no quote: the payload ends here
    if end < 0 or data.find(b"\\", len(_HEAD), end) >= 0 or not data.startswith(_TYPE_KEY, end):
        return None
    start_type = end + len(_TYPE_KEY)
    end_type = data.find(_SIGNATURES_KEY, start_type)
    payload_type = _TYPE_OF.get(data[start_type:end_type]) if end_type >= 0 else None
    if payload_type is None:
        return None
    listed = data[end_type + len(_SIGNATURES_KEY):-len(_TAIL)]
    one = _ONE_SIGNATURE.fullmatch(listed)
    if one is not None:
        found = [(one[1], one[2])]
    elif _SIGNATURE_LIST.fullmatch(listed):
        found = _ONE_SIGNATURE.findall(listed)
    else:
        return None
    if len(found) > MAX_SIGNATURES or len({keyid for keyid, _ in found}) != len(found):
        return None
    try:  # the quotes around the base64 make it a JSON string
        payload = _base64.decode(memoryview(data)[len(_HEAD) - 1:end + 1])
    except msgspec.DecodeError:
        return None
    tail = len(payload) % 3
    if tail and binascii.b2a_base64(payload[-tail:], newline=False) != data[end - 4:end]:
        return None  # non-zero pad bits
    signatures = [Signature(keyid.decode(), binascii.a2b_base64(sig)) for keyid, sig in found]
    return Envelope(payload, payload_type, tuple(signatures))


def _check(envelope: Envelope, data: bytes) -> None:
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(
            "ENVELOPE-TOO-LARGE",
            f"amplop melebihi {MAX_ENVELOPE_BYTES} bita",
            f"envelope exceeds {MAX_ENVELOPE_BYTES} bytes",
        )
    if envelope.payload_type not in PAYLOAD_TYPES:
        raise EnvelopeError(
            "PAYLOAD-TYPE",
            f"jenis muatan tidak dikenal: {envelope.payload_type!r}",
            f"unknown payload type: {envelope.payload_type!r}",
        )
    n = len(envelope.signatures)
    if not 1 <= n <= MAX_SIGNATURES:
        raise EnvelopeError(
            "SIG-COUNT",
            f"amplop harus memuat 1 sampai {MAX_SIGNATURES} tanda tangan",
            f"an envelope carries 1 to {MAX_SIGNATURES} signatures",
        )
    seen: set[str] = set()
    for s in envelope.signatures:
        if not _KEYID.fullmatch(s.keyid):
            raise EnvelopeError(
                "ENVELOPE-MALFORMED",
                "keyid harus 64 digit heksadesimal huruf kecil",
                "keyid must be 64 lower-case hex digits",
            )
        if len(s.sig) != SIGNATURE_BYTES:
            raise EnvelopeError(
                "ENVELOPE-MALFORMED",
                "tanda tangan Ed25519 harus 64 bita",
                "an Ed25519 signature is 64 bytes",
            )
        if s.keyid in seen:
            raise EnvelopeError(
                "SIG-DUPLICATE",
                "kunci yang sama menandatangani dua kali",
                "the same key signed twice",
            )
        seen.add(s.keyid)


def sign(payload_type: str, payload: bytes, signers: Iterable[SigningKey]) -> Envelope:
    """A new envelope signed by ``signers`` in order (the first is the submitter)."""
    message = pae(payload_type, payload)
    sigs = tuple(
        Signature(keyid=key_id(bytes(k.verify_key)), sig=k.sign(message).signature)
        for k in signers
    )
    envelope = Envelope(payload=payload, payload_type=payload_type, signatures=sigs)
    encode(envelope)  # refuse to produce what decode would refuse
    return envelope


def cosign(envelope: Envelope, signer: SigningKey) -> Envelope:
    """The same envelope with one more signature appended."""
    sig = Signature(
        keyid=key_id(bytes(signer.verify_key)),
        sig=signer.sign(pae(envelope.payload_type, envelope.payload)).signature,
    )
    result = Envelope(
        payload=envelope.payload,
        payload_type=envelope.payload_type,
        signatures=(*envelope.signatures, sig),
    )
    encode(result)
    return result


def verify_one(envelope: Envelope, signature: Signature, public_key: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature by ``public_key``."""
    try:
        VerifyKey(public_key).verify(pae(envelope.payload_type, envelope.payload), signature.sig)
    except BadSignatureError:
        return False
    return True
