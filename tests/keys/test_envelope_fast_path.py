"""Reading the canonical envelope template gives exactly what the full decoder gives.

``decode`` first tries ``_decode_template``, which reads the one canonical
spelling without building JSON objects or re-encoding the payload. These
tests hold ``decode`` to ``full_decode`` — the strict JSON decoder, the
canonical re-encoding and the checks, as ``decode`` was first written — on
valid envelopes and on envelopes spelt, padded, escaped or signed wrongly.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.keys import envelope as env
from saksi.keys.envelope import Envelope, EnvelopeError, Signature

keyids = st.text("0123456789abcdef", min_size=64, max_size=64)
signatures = st.builds(Signature, keyid=keyids, sig=st.binary(min_size=64, max_size=64))
envelopes = st.builds(
    Envelope,
    # small ones go straight to the full decoder, large ones are read from the template
    payload=st.binary(max_size=300) | st.binary(min_size=env._TEMPLATE_FROM, max_size=6000),
    payload_type=st.sampled_from(sorted(env.PAYLOAD_TYPES)),
    signatures=st.lists(signatures, min_size=1, max_size=env.MAX_SIGNATURES,
                        unique_by=lambda s: s.keyid).map(tuple),
)


def full_decode(data: bytes) -> Envelope:
    """``decode`` without the template: JSON, canonical re-encoding, checks."""
    if len(data) > env.MAX_ENVELOPE_BYTES:
        raise EnvelopeError("ENVELOPE-TOO-LARGE", f"amplop melebihi {env.MAX_ENVELOPE_BYTES} bita",
                            f"envelope exceeds {env.MAX_ENVELOPE_BYTES} bytes")
    try:
        envelope = msgspec.json.decode(data, type=Envelope)
    except (msgspec.DecodeError, ValueError) as exc:
        raise EnvelopeError("ENVELOPE-MALFORMED", f"amplop tidak sah: {exc}",
                            f"malformed envelope: {exc}") from None
    if msgspec.json.encode(envelope) != data:
        raise EnvelopeError("ENVELOPE-NONCANONICAL", "amplop tidak dalam bentuk kanonik",
                            "envelope is not in canonical form")
    env._check(envelope, data)
    return envelope


def outcome(decoder: Callable[[bytes], Envelope], data: bytes) -> object:
    """The envelope, or the error with its messages."""
    try:
        return decoder(data)
    except EnvelopeError as exc:
        return exc.code, exc.message_id, exc.message_en


def assert_decoded_alike(data: bytes) -> None:
    assert outcome(env.decode, data) == outcome(full_decode, data)
    fast = env._decode_template(data)
    assert fast is None or fast == full_decode(data)


@settings(max_examples=300)
@given(envelopes)
def test_every_canonical_envelope_is_read_from_the_template(envelope: Envelope) -> None:
    data = msgspec.json.encode(envelope)
    assert env._decode_template(data) == envelope
    assert env.decode(data) == envelope


# Ways to spell an envelope wrongly that the template must not let through.
_SPELLINGS = [
    (b'{"payload":"', b'{ "payload":"'),  # whitespace
    (b'","payloadType":"', b'", "payloadType":"'),
    (b'"signatures":[', b'"signatures": ['),
    (b'{"keyid":"', b'{"sig":"x","keyid":"'),  # an unknown order
    (b']}', b'],"extra":1}'),  # an unknown field
    (b'"}]}', b'"}]}\n'),  # trailing bytes
    (b'application/', b'application\\/'),  # an escape the canonical form does not use
    (b'"payload":"', b'"payload":"\\u0041'),
]


def _pad_bit_set(data: bytes) -> tuple[bytes, bytes]:
    """The base64 of ``data``, and the same with a pad bit of its last digit
    set: the same bytes to a lenient decoder, but not the canonical spelling."""
    text = base64.b64encode(data)
    end = text.index(b"=") - 1
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    digit = alphabet[alphabet.index(text[end]) | 1]
    return text, text[:end] + bytes([digit]) + text[end + 1:]


@settings(max_examples=800)
@given(envelopes, st.data())
def test_misspelt_envelopes_are_refused_as_the_full_decoder_refuses_them(
    envelope: Envelope, data: st.DataObject
) -> None:
    raw = msgspec.json.encode(envelope)
    kind = data.draw(st.sampled_from(
        ["byte", "spelling", "escape", "pad bits", "signature pad bits", "signatures", "cut"]))
    if kind == "byte":
        i = data.draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + bytes([data.draw(st.integers(0, 255))]) + raw[i + 1:]
    elif kind == "spelling":
        old, new = data.draw(st.sampled_from(_SPELLINGS))
        raw = raw.replace(old, new, 1)
    elif kind == "escape" and envelope.payload:
        # One base64 digit written as a JSON escape: the same string once read.
        text = base64.b64encode(envelope.payload)
        i = data.draw(st.integers(0, len(text) - 1))
        raw = raw.replace(text, text[:i] + b"\\u%04x" % text[i] + text[i + 1:], 1)
    elif kind == "pad bits" and len(envelope.payload) % 3:
        raw = raw.replace(*_pad_bit_set(envelope.payload), 1)
    elif kind == "signature pad bits":
        raw = raw.replace(*_pad_bit_set(envelope.signatures[-1].sig), 1)
    elif kind == "signatures":
        sigs = list(envelope.signatures)
        how = data.draw(st.sampled_from(["twice", "none", "many", "short"]))
        if how == "twice":
            sigs.append(sigs[0])
        elif how == "none":
            sigs = []
        elif how == "many":
            sigs = [Signature(f"{i:064x}", sigs[0].sig) for i in range(env.MAX_SIGNATURES + 1)]
        else:
            sigs[0] = Signature(sigs[0].keyid, sigs[0].sig[:63])
        raw = msgspec.json.encode(msgspec.structs.replace(envelope, signatures=tuple(sigs)))
    else:
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    assert_decoded_alike(raw)


@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_decoded_alike(data: bytes) -> None:
    assert_decoded_alike(data)


def test_a_non_canonical_payload_type_spelling_is_not_read_from_the_template() -> None:
    envelope = Envelope(b"x", env.TYPE_SHEET, (Signature("a" * 64, bytes(64)),))
    raw = msgspec.json.encode(envelope).replace(b"sheet", b"she\\u0065t")
    assert env._decode_template(raw) is None
    assert outcome(env.decode, raw) == outcome(full_decode, raw)
    with pytest.raises(EnvelopeError) as refused:
        env.decode(raw)
    assert refused.value.code == "ENVELOPE-NONCANONICAL"
