"""DSSE envelopes and control documents (docs/envelope-format.md), strictly.

``decode_envelope`` accepts only canonical bytes; signature checks are done
by the caller with :func:`pae` so they can run in worker processes.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Annotated

import msgspec

from saksi.audit.tlog import FormatError, b64decode_strict

if TYPE_CHECKING:
    from saksi.audit.sheet import Facts

try:
    from saksi.audit import _accel
except ImportError:  # installed without a C compiler: the Python path serves alone
    _accel = None  # type: ignore[assignment]

TYPE_PREFIX = "application/vnd.saksi."
TYPE_MANIFEST = "application/vnd.saksi.manifest.v1+json"
TYPE_AUTHORITY = "application/vnd.saksi.authority.v1+json"
TYPE_ENROLMENT = "application/vnd.saksi.enrolment.v1+json"
TYPE_REVOCATION = "application/vnd.saksi.revocation.v1+json"
TYPE_SHEET = "application/vnd.saksi.sheet.v1+json"
CONTROL_TYPES = frozenset({TYPE_MANIFEST, TYPE_AUTHORITY, TYPE_ENROLMENT, TYPE_REVOCATION})
TYPES = CONTROL_TYPES | {TYPE_SHEET}
MAX_ENVELOPE = 65_536

HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
REGION = re.compile(r"\A(?:0|[0-9]{2}|(?:[0-9]{4}|99[0-9A-Z]{2})(?:[0-9]{2}(?:[0-9]{4})?)?)\Z")
TPS = re.compile(r"\A(?:[0-9]{13}|99[0-9A-Z]{11})\Z")
ORIGIN = re.compile(r"\A[!-~]{1,256}\Z")


class Signature(msgspec.Struct, forbid_unknown_fields=True):
    keyid: str
    sig: str


class Envelope(msgspec.Struct, forbid_unknown_fields=True):
    payload: str
    payloadType: str
    signatures: list[Signature]


_decoder = msgspec.json.Decoder(Envelope)


class Decoded(msgspec.Struct, frozen=True, gc=False):
    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (keyid, 64-byte signature)


_HEAD = b'{"payload":"'
_MID = b'","payloadType":"'
_SIGS = b'","signatures":['
# 64 bytes are 86 base64 digits and "==": the last digit carries 2 bits, the 4 pad bits
# must be zero (canonical spelling), so it is one of A, Q, g, w
_SIG = rb'\{"keyid":"([0-9a-f]{64})","sig":"([A-Za-z0-9+/]{85}[AQgw]==)"\}'
_SIG_RE = re.compile(_SIG)
_SIG_LIST = re.compile(_SIG + rb"(?:," + _SIG + rb")*")
_TYPE_BYTES = {t.encode(): t for t in TYPES}
_TYPE_NAMES = tuple(sorted(TYPES))  # what the accelerator may return as payloadType
_SHEET_NAME = next(t for t in _TYPE_NAMES if t == TYPE_SHEET)  # compared by identity
# msgspec decodes base64 (the payload is most of an entry) several times faster than
# binascii; it refuses characters outside the alphabet and misplaced padding but, like
# binascii, not non-zero pad bits, and it reads JSON escapes first: both are checked apart
_base64 = msgspec.json.Decoder(bytes)


# a small envelope with one signature (every control document) in one regular expression;
# on a large payload the scan for the separators is faster than a regex over the base64
_SMALL = 2048
_ONE = re.compile(rb'\{"payload":"([A-Za-z0-9+/]*={0,2})","payloadType":"('
                  + b"|".join(re.escape(t.encode()) for t in sorted(TYPES))
                  + rb')","signatures":\[' + _SIG + rb"\]\}")


def _fast(raw: bytes) -> Decoded | None:
    """The common case without building JSON objects: a canonical envelope is one rigid
    template (base64, hex and the known payload types need no JSON escapes). None sends
    anything else to the full decoder, which names the problem; both accept the same
    envelopes with the same result (a property test checks it).

    First the C accelerator, if built: the one-signature envelope (every entry but a
    cosigned sheet) in one pass, base64 included; None sends the rest on below."""
    native = one_signature(raw)
    if native is not None:
        return Decoded(native[0], native[1], ((native[2], native[3]),))
    if len(raw) <= _SMALL:
        m = _ONE.fullmatch(raw)
        if m is not None:
            i = m.end(1)
            return _decoded(raw, i, _TYPE_BYTES[m[2]], [(m[3], m[4])])
    if not raw.startswith(_HEAD) or not raw.endswith(b"]}"):
        return None
    # from the end: type and signatures are short, the payload is most of the entry (a
    # payload holding the separator is not base64 and fails to decode below)
    i = raw.rfind(_MID, 12)
    j = raw.find(_SIGS, i + 17) if i >= 0 else -1
    if j < 0 or raw.find(b"\\", 12, i) >= 0:
        return None
    payload_type = _TYPE_BYTES.get(raw[i + 17:j])
    sigs_part = raw[j + 16:-2]
    if payload_type is None:
        return None
    one = _SIG_RE.fullmatch(sigs_part)  # the common case: one signature
    if one is not None:
        found = [(one[1], one[2])]
    elif _SIG_LIST.fullmatch(sigs_part):
        found = _SIG_RE.findall(sigs_part)
    else:
        return None
    return _decoded(raw, i, payload_type, found)


def _decoded(raw: bytes, end: int, payload_type: str,
             found: list[tuple[bytes, bytes]]) -> Decoded | None:
    """The envelope whose base64 payload ends at ``end`` (checked by the caller to hold
    no JSON escape), with the (keyid, base64 signature) pairs ``found``."""
    try:  # the quotes around the payload make it a JSON string
        payload = _base64.decode(memoryview(raw)[11:end + 1])
    except msgspec.DecodeError:
        return None
    tail = len(payload) % 3
    if tail and binascii.b2a_base64(payload[-tail:], newline=False) != raw[end - 4:end]:
        return None  # non-zero pad bits
    if len(found) == 1:
        (k, v), = found
        return Decoded(payload_type, payload, ((k.decode(), binascii.a2b_base64(v)),))
    sigs = tuple((k.decode(), binascii.a2b_base64(v)) for k, v in found)
    if len(sigs) > 16 or len({k for k, _ in sigs}) != len(sigs):
        return None
    return Decoded(payload_type, payload, sigs)


def one_signature(raw: bytes) -> tuple[str, bytes, str, bytes] | None:
    """(payload type, payload, keyid, signature) of a canonical one-signature envelope,
    read by the accelerator without building a ``Decoded``; None without the
    accelerator or for anything else: ``decode_envelope`` then reads or refuses it."""
    if _accel is None or len(raw) > MAX_ENVELOPE:
        return None
    return _accel.envelope(raw, _TYPE_NAMES)


def one_signature_checked(raw: bytes, keys: dict[str, str]
                          ) -> tuple[str, bytes, str, bytes, int, Facts | None] | None:
    """``one_signature`` and, for a sheet, its verdict and facts from the same call of
    the accelerator (the verifier's per-entry path): (payload type, payload, keyid,
    signature, verdict, facts). The verdict is 1 or 0 for the signature under
    ``keys[keyid]`` (a hex public key), or -1 where the call did not decide (no such key,
    not 64 hex digits, no libsodium); facts are ``sheet.read_facts``'s, or None where the
    accelerator does not read the sheet. Other types: -1 and None."""
    if _accel is None or len(raw) > MAX_ENVELOPE:
        return None
    return _accel.entry(raw, _TYPE_NAMES, keys, _SHEET_NAME)


def decode_envelope(raw: bytes) -> Decoded:
    """The envelope in ``raw``; FormatError(code) unless it is valid and canonical."""
    if len(raw) > MAX_ENVELOPE:
        raise FormatError("ENVELOPE-TOO-LARGE")
    fast = _fast(raw)
    if fast is not None:
        return fast
    return _decode_slow(raw)


def _decode_slow(raw: bytes) -> Decoded:
    try:
        env = _decoder.decode(raw)
    except (msgspec.DecodeError, ValueError):  # ValueError: invalid UTF-8
        raise FormatError("ENVELOPE-MALFORMED") from None
    if msgspec.json.encode(env) != raw:
        raise FormatError("ENVELOPE-NONCANONICAL")
    if env.payloadType not in TYPES:
        raise FormatError("PAYLOAD-TYPE")
    if not 1 <= len(env.signatures) <= 16:
        raise FormatError("SIG-COUNT")
    payload = b64decode_strict(env.payload)
    sigs = []
    seen = set()
    for s in env.signatures:
        if not HEX64.match(s.keyid):
            raise FormatError("ENVELOPE-MALFORMED")
        sig = b64decode_strict(s.sig)
        if len(sig) != 64:
            raise FormatError("ENVELOPE-MALFORMED")
        if s.keyid in seen:
            raise FormatError("SIG-DUPLICATE")
        seen.add(s.keyid)
        sigs.append((s.keyid, sig))
    return Decoded(env.payloadType, payload, tuple(sigs))


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what a signature covers."""
    return pae_head(payload_type, len(payload)) + payload


def pae_head(payload_type: str, length: int) -> bytes:
    """The PAE up to the payload (for building a signed buffer in one copy)."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d " % (len(t), t, length)


def keyid_of(public_key: bytes) -> str:
    return hashlib.sha256(b"saksi-keyid-v1:ed25519:" + public_key).hexdigest()


# ------------------------------------------------------------------ control payloads
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=256, pattern=r"\A[^\x00-\x1f]*\Z")]


class Manifest(msgspec.Struct, forbid_unknown_fields=True):
    election_sha256: str
    log_origin: str
    root_key: str
    scope: str


class Authority(msgspec.Struct, forbid_unknown_fields=True):
    key: str
    name: Text
    role: str
    scope: str


class Enrolment(msgspec.Struct, forbid_unknown_fields=True):
    key: str
    tps: str


class Revocation(msgspec.Struct, forbid_unknown_fields=True):
    keyid: str
    reason: Text


Control = Manifest | Authority | Enrolment | Revocation
_CONTROL: dict[str, type[Control]] = {
    TYPE_MANIFEST: Manifest, TYPE_AUTHORITY: Authority,
    TYPE_ENROLMENT: Enrolment, TYPE_REVOCATION: Revocation,
}
ROLES = ("provinsi", "kabkota", "kecamatan", "witness")
_SCOPE_LEN = {"provinsi": 2, "kabkota": 4, "kecamatan": 6}


# one decoder per type, built once (831,783 control documents on a national night)
_DECODERS: dict[str, msgspec.json.Decoder[Control]] = {
    t: msgspec.json.Decoder(kind) for t, kind in _CONTROL.items()}
_ENCODER = msgspec.json.Encoder()


def decode_control(payload_type: str, payload: bytes) -> Control:
    """A control document; FormatError('PAYLOAD-INVALID') unless valid and canonical."""
    try:
        doc = _DECODERS[payload_type].decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        raise FormatError("PAYLOAD-INVALID") from None
    # fields are declared in sorted order, so the canonical bytes are msgspec's
    if _ENCODER.encode(doc) != payload:
        raise FormatError("PAYLOAD-INVALID")
    ok = True
    if isinstance(doc, Manifest):
        ok = bool(HEX64.match(doc.election_sha256) and HEX64.match(doc.root_key)
                  and ORIGIN.match(doc.log_origin) and REGION.match(doc.scope))
    elif isinstance(doc, Authority):
        ok = bool(HEX64.match(doc.key) and doc.role in ROLES and REGION.match(doc.scope)
                  and (doc.role == "witness" or len(doc.scope) == _SCOPE_LEN[doc.role]))
    elif isinstance(doc, Enrolment):
        ok = bool(HEX64.match(doc.key) and TPS.match(doc.tps))
    else:
        ok = bool(HEX64.match(doc.keyid))
    if not ok:
        raise FormatError("PAYLOAD-INVALID")
    return doc
