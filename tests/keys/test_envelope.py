"""The envelope: canonical bytes, strict parsing, signatures over the PAE."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from conftest import seeded
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.keys import envelope as env
from saksi.keys.envelope import Envelope, EnvelopeError, Signature
from saksi.keys.ids import key_id

keyids = st.text("0123456789abcdef", min_size=64, max_size=64)
signatures = st.builds(Signature, keyid=keyids, sig=st.binary(min_size=64, max_size=64))
envelopes = st.builds(
    Envelope,
    payload=st.binary(max_size=2000),
    payload_type=st.sampled_from(sorted(env.PAYLOAD_TYPES)),
    signatures=st.lists(signatures, min_size=1, max_size=env.MAX_SIGNATURES,
                        unique_by=lambda s: s.keyid).map(tuple),
)


@given(envelopes)
def test_decode_inverts_encode(envelope: Envelope) -> None:
    data = env.encode(envelope)
    assert env.decode(data) == envelope
    assert env.encode(env.decode(data)) == data


@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_refused_or_round_trip(data: bytes) -> None:
    try:
        decoded = env.decode(data)
    except EnvelopeError:
        return
    assert env.encode(decoded) == data


@given(envelopes, st.data())
def test_any_single_byte_change_is_refused_or_changes_the_envelope(
    envelope: Envelope, data: st.DataObject
) -> None:
    raw = env.encode(envelope)
    i = data.draw(st.integers(0, len(raw) - 1))
    b = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]))
    mutated = raw[:i] + bytes([b]) + raw[i + 1 :]
    try:
        decoded = env.decode(mutated)
    except EnvelopeError:
        return
    assert decoded != envelope and env.encode(decoded) == mutated


@given(envelopes)
def test_the_json_is_compact_with_sorted_keys(envelope: Envelope) -> None:
    raw = env.encode(envelope)
    as_json = json.loads(raw)
    assert raw == json.dumps(as_json, separators=(",", ":"), sort_keys=True).encode()
    assert base64.b64decode(as_json["payload"], validate=True) == envelope.payload


def _good() -> bytes:
    return env.encode(env.sign(env.TYPE_SHEET, b'{"a":1}', [seeded(1)]))


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda r: r + b"\n", "ENVELOPE-NONCANONICAL"),
        (lambda r: b" " + r, "ENVELOPE-NONCANONICAL"),
        (lambda r: r.replace(b'","payloadType"', b'", "payloadType"'), "ENVELOPE-NONCANONICAL"),
        (lambda r: r.replace(b"}]}", b'}],"extra":1}'), "ENVELOPE-MALFORMED"),
        (lambda r: r.replace(b'"payload":"eyJhIjoxfQ=="', b'"payload":"eyJhIjoxfQ"'),
         "ENVELOPE-MALFORMED"),
        (lambda r: r.replace(b"application/vnd.saksi.sheet.v1+json", b"text/plain"),
         "PAYLOAD-TYPE"),
        (lambda r: r.replace(b'"signatures":[{', b'"signatures":[],"x":[{'),
         "ENVELOPE-MALFORMED"),
        (lambda r: r.replace(b'"sig":"', b'"sig":"AAAA', 1), "ENVELOPE-MALFORMED"),
        (lambda r: json.dumps(json.loads(r), sort_keys=False, separators=(",", ":"))
         .encode().replace(b'{"payload"', b'{"payloadType":"x","payload"'),
         "ENVELOPE-NONCANONICAL"),  # a duplicated key
    ],
)
def test_non_canonical_spellings_are_refused(mangle: object, code: str) -> None:
    assert callable(mangle)
    with pytest.raises(EnvelopeError) as exc:
        env.decode(mangle(_good()))
    assert exc.value.code == code


def test_reordered_keys_are_not_canonical() -> None:
    obj = json.loads(_good())
    reordered = json.dumps(
        {"payloadType": obj["payloadType"], "payload": obj["payload"],
         "signatures": obj["signatures"]}, separators=(",", ":")
    ).encode()
    with pytest.raises(EnvelopeError) as exc:
        env.decode(reordered)
    assert exc.value.code == "ENVELOPE-NONCANONICAL"


def test_empty_signature_list_and_too_many_signatures_are_refused() -> None:
    e = env.sign(env.TYPE_SHEET, b"x", [seeded(1)])
    with pytest.raises(EnvelopeError, match="1 to"):
        env.encode(Envelope(e.payload, e.payload_type, ()))
    many = env.sign(env.TYPE_SHEET, b"x", [seeded(i) for i in range(1, env.MAX_SIGNATURES + 2)]
                    [: env.MAX_SIGNATURES])
    with pytest.raises(EnvelopeError):
        env.cosign(many, seeded(200))


def test_oversized_envelope_is_refused() -> None:
    with pytest.raises(EnvelopeError) as exc:
        env.sign(env.TYPE_SHEET, b"x" * env.MAX_ENVELOPE_BYTES, [seeded(1)])
    assert exc.value.code == "ENVELOPE-TOO-LARGE"
    with pytest.raises(EnvelopeError) as exc:
        env.decode(b" " * (env.MAX_ENVELOPE_BYTES + 1))
    assert exc.value.code == "ENVELOPE-TOO-LARGE"


def test_pae_matches_dsse_v1() -> None:
    assert env.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_signatures_cover_type_and_payload() -> None:
    key = seeded(1)
    e = env.sign(env.TYPE_SHEET, b"payload", [key])
    pk = bytes(key.verify_key)
    assert env.verify_one(e, e.signatures[0], pk)
    assert not env.verify_one(Envelope(b"payloaD", e.payload_type, e.signatures),
                              e.signatures[0], pk)
    assert not env.verify_one(Envelope(e.payload, env.TYPE_ENROLMENT, e.signatures),
                              e.signatures[0], pk)


def test_key_id_is_the_documented_hash() -> None:
    pk = bytes(seeded(1).verify_key)
    assert key_id(pk) == hashlib.sha256(b"saksi-keyid-v1:ed25519:" + pk).hexdigest()
    with pytest.raises(ValueError):
        key_id(pk[:31])


# The worked example of docs/envelope-format.md: deterministic (Ed25519 is).
VECTOR_SEED = bytes(range(32))
VECTOR_PAYLOAD = b'{"key":"' + b"ab" * 32 + b'","tps":"3201010001001"}'


VECTOR_EXPECTED = (
    b'{"payload":"eyJrZXkiOiJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJh'
    b'YmFiYWJhYmFiYWJhYmFiIiwidHBzIjoiMzIwMTAxMDAwMTAwMSJ9","payloadType":"application/vnd.saksi.'
    b'enrolment.v1+json","signatures":[{"keyid":"9ec6a5b287f3226e7ec310ae9bf0edc1a48613d687c0b8'
    b'8fcf2622460e2bc253","sig":"bD3GczoKZnX+YqHsekiI2a3xAtKP7ObDrj+ovtp5cfXR7freT1D4sr+sWgGyjvbz'
    b'KPdyOfTx8VbCdYT3Sr6DBg=="}]}'
)


def test_documented_test_vector() -> None:
    key = SigningKey(VECTOR_SEED)
    raw = env.encode(env.sign(env.TYPE_ENROLMENT, VECTOR_PAYLOAD, [key]))
    assert raw == VECTOR_EXPECTED
    doc = (Path(__file__).parents[2] / "docs" / "envelope-format.md").read_text()
    assert VECTOR_EXPECTED.decode() in doc


@settings(max_examples=50)
@given(st.binary(min_size=32, max_size=32), st.binary(max_size=300))
def test_sign_then_verify_for_any_key_and_payload(seed: bytes, payload: bytes) -> None:
    key = SigningKey(seed)
    e = env.decode(env.encode(env.sign(env.TYPE_SHEET, payload, [key])))
    assert e.signer == key_id(bytes(key.verify_key))
    assert env.verify_one(e, e.signatures[0], bytes(key.verify_key))
