"""The C accelerator's envelope reader against the Python reference.

``_accel.envelope(raw, types)`` must return exactly what ``_decode_slow`` decodes
for every canonical one-signature envelope it recognises, and None for everything
else (two signatures, bad base64, a wrong key id, another spelling...): it may leave
an envelope to Python, but never accepts what Python refuses."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.audit.envelope import (
    _TYPE_NAMES,
    TYPES,
    Decoded,
    _decode_slow,
    decode_envelope,
    keyid_of,
)
from saksi.audit.tlog import FormatError

sys.path.insert(0, str(Path(__file__).parent))
from audit_support import accel_module, envelope, mutations

_accel = accel_module()

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEYS = [SigningKey(bytes([i + 1]) * 32) for i in range(3)]
ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"



def python_decoded(raw: bytes) -> Decoded | None:
    try:
        return _decode_slow(raw)
    except FormatError:
        return None


def agrees(raw: bytes) -> tuple[str, bytes, str, bytes] | None:
    """The accelerator's answer, checked against the reference: None or the same."""
    native = _accel.envelope(raw, _TYPE_NAMES)
    if native is not None:
        kind, payload, keyid, sig = native
        assert Decoded(kind, payload, ((keyid, sig),)) == python_decoded(raw), raw
    return native


payloads = (st.binary(max_size=64) | st.binary(min_size=1500, max_size=1600)
            | st.binary(min_size=3000, max_size=7000))


@SETTINGS
@given(payloads, st.sampled_from(sorted(TYPES)), st.sampled_from(KEYS))
def test_every_canonical_one_signature_envelope_is_read_natively(
        payload: bytes, kind: str, key: SigningKey) -> None:
    raw = envelope(kind, payload, [key])
    native = agrees(raw)
    assert native is not None
    assert native[0] is _TYPE_NAMES[_TYPE_NAMES.index(kind)]  # the caller's own str
    assert native[1] == payload and native[2] == keyid_of(bytes(key.verify_key))
    assert decode_envelope(raw) == _decode_slow(raw)



@SETTINGS
@given(payloads, st.integers(1, 2), st.data())
def test_a_mutated_envelope_is_refused_or_read_exactly_as_python_reads_it(
        payload: bytes, signers: int, data: st.DataObject) -> None:
    agrees(data.draw(mutations(envelope(sorted(TYPES)[0], payload, KEYS[:signers]), max_edits=3)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_are_never_an_envelope(raw: bytes) -> None:
    assert _accel.envelope(raw, _TYPE_NAMES) is None or python_decoded(raw) is not None


@SETTINGS
@given(st.binary(min_size=1, max_size=200), st.data())
def test_a_payload_spelt_otherwise_is_refused(payload: bytes, data: st.DataObject) -> None:
    """Pad bits set, padding missing or doubled, a URL-safe or foreign character, a JSON
    escape: unless that happens to spell another payload canonically, both paths refuse
    it."""
    original = envelope(sorted(TYPES)[0], payload, [KEYS[0]])
    text = base64.b64encode(payload)
    start = original.index(text)
    last = text.rstrip(b"=")
    at = data.draw(st.integers(0, len(text) - 1))
    variants = [
        last, text + b"=", text + b"====",
        text[:at] + b"\\u00%02x" % text[at] + text[at + 1:],
        text[:at] + data.draw(st.sampled_from([b"-", b"_", b".", b" ", b"\n", b"="]))
        + text[at + 1:],
    ]
    if len(payload) % 3:  # set a pad bit of the last digit
        bumped = ALPHABET[ALPHABET.index(last[-1]) + 1:][:1]
        variants.append(last[:-1] + bumped + text[len(last):])
    for spelled in variants:
        raw = original[:start] + spelled + original[start + len(text):]
        if spelled != text and not is_base64_of_something(spelled):
            assert agrees(raw) is None and python_decoded(raw) is None


def is_base64_of_something(text: bytes) -> bool:
    """True for the canonical spelling of some bytes ("AAA=" with its third digit made
    padding is "AA==", another payload's canonical form)."""
    try:
        return base64.b64encode(base64.b64decode(text, validate=True)) == text
    except ValueError:
        return False


CANONICAL = envelope(sorted(TYPES)[-1], b'{"tps":"3171011001001"}', [KEYS[0]])
KEYID = json.loads(CANONICAL)["signatures"][0]["keyid"].encode()
SIG = json.loads(CANONICAL)["signatures"][0]["sig"].encode()
SIG_PAD_BIT = SIG[:85] + ALPHABET[ALPHABET.index(SIG[85]) + 1:][:1] + b"=="

# (envelope, python accepts, accelerator reads it)
NEAR_MISSES = {
    "canonical": (CANONICAL, True, True),
    "two signatures": (envelope(sorted(TYPES)[0], b"x", KEYS[:2]), True, False),
    "empty payload": (envelope(sorted(TYPES)[0], b"", [KEYS[0]]), True, True),
    "unknown type": (CANONICAL.replace(b"sheet.v1", b"sheet.v2"), False, False),
    "type cut short": (CANONICAL.replace(b"+json", b""), False, False),
    "uppercase keyid": (CANONICAL.replace(KEYID, KEYID.upper()), False, False),
    "short keyid": (CANONICAL.replace(KEYID, KEYID[:-1]), False, False),
    "long keyid": (CANONICAL.replace(KEYID, KEYID + b"0"), False, False),
    "sig pad bit": (CANONICAL.replace(SIG, SIG_PAD_BIT), False, False),
    "sig 63 bytes": (CANONICAL.replace(SIG, base64.b64encode(b"\x01" * 63)), False, False),
    "sig 65 bytes": (CANONICAL.replace(SIG, base64.b64encode(b"\x01" * 65)), False, False),
    "whitespace": (CANONICAL.replace(b'","payloadType"', b'", "payloadType"'), False, False),
    "trailing newline": (CANONICAL + b"\n", False, False),
    "extra member": (CANONICAL[:-1] + b',"x":1}', False, False),
    "members reordered": (json.dumps(dict(reversed(json.loads(CANONICAL).items())),
                                     separators=(",", ":")).encode(), False, False),
    "no signatures": (CANONICAL.split(b',"signatures"')[0] + b',"signatures":[]}',
                      False, False),
}


@pytest.mark.parametrize("name", list(NEAR_MISSES))
def test_near_misses_are_refused_or_read_alike(name: str) -> None:
    raw, python, native = NEAR_MISSES[name]
    assert (python_decoded(raw) is not None) == python
    assert (agrees(raw) is not None) == native


def test_types_must_be_a_tuple_of_str() -> None:
    with pytest.raises(TypeError):
        _accel.envelope(CANONICAL, [*_TYPE_NAMES])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _accel.envelope(CANONICAL, (CANONICAL[30:40],))  # type: ignore[arg-type]
    assert _accel.envelope(CANONICAL, ()) is None  # no type known, none accepted


@pytest.mark.parametrize("size", [33, 35, 36, 60, 84, 86, 2455])
def test_every_byte_at_every_place_of_a_vector_block_is_judged_as_python_judges_it(
        size: int) -> None:
    """Base64 is decoded 32 characters at a time where the CPU allows: every byte value
    in every place of the first blocks and of the tail the scalar loop finishes (block
    edges, the last full block, padding) is refused or read exactly as Python reads it."""
    payload = bytes(range(7, 256)) * (size // 249 + 1)
    text = base64.b64encode(payload[:size])
    original = envelope(sorted(TYPES)[0], payload[:size], [KEYS[0]])
    start = original.index(text)
    places = sorted({*range(min(len(text), 72)), *range(max(0, len(text) - 56), len(text))})
    for at in places:
        for byte in range(256):
            spelled = text[:at] + bytes([byte]) + text[at + 1:]
            raw = original[:start] + spelled + original[start + len(text):]
            native = _accel.envelope(raw, _TYPE_NAMES)
            if is_base64_of_something(spelled):
                assert native is not None and native[1] == base64.b64decode(spelled)
            else:
                assert native is None, (size, at, byte)
