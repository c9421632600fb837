"""Ed25519 through the accelerator's direct call to libsodium against PyNaCl's public
API: the same verdict for every signature, key and message, valid or mutated."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.audit import ed25519
from saksi.audit.envelope import pae

sys.path.insert(0, str(Path(__file__).parent))
from audit_support import accel_module, mutations

accel_module()  # skips (or, under CI, fails) without the accelerator

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
KEYS = [SigningKey(bytes([i + 1]) * 32) for i in range(3)]


def test_the_direct_call_is_in_use_where_the_accelerator_is_built() -> None:
    assert ed25519.DIRECT is not None
    assert ed25519.verify is ed25519.DIRECT


def both(signature: bytes, head: bytes, payload: bytes, public: bytes) -> int:
    assert ed25519.DIRECT is not None
    mine = ed25519.DIRECT(signature, head, payload, public)
    assert mine == ed25519.verify_pynacl(signature, head, payload, public)
    return mine


@SETTINGS
@given(st.sampled_from(KEYS), st.binary(max_size=64), st.binary(max_size=6000))
def test_a_signature_over_head_and_payload_verifies_as_pynacl_says(
        key: SigningKey, head: bytes, payload: bytes) -> None:
    signature = key.sign(head + payload).signature
    assert both(signature, head, payload, bytes(key.verify_key)) == 1
    # the split between head and payload does not matter, the bytes do
    assert both(signature, b"", head + payload, bytes(key.verify_key)) == 1


@SETTINGS
@given(st.sampled_from(KEYS), st.sampled_from(KEYS), st.binary(min_size=1, max_size=300),
       st.data())
def test_any_mutation_gets_the_verdict_pynacl_gives(
        key: SigningKey, other: SigningKey, message: bytes, data: st.DataObject) -> None:
    signature = key.sign(message).signature
    public = bytes(key.verify_key)
    which = data.draw(st.sampled_from(["signature", "message", "key", "other key"]))
    if which == "signature":
        signature = data.draw(mutations(signature))
    elif which == "message":
        message = data.draw(mutations(message))
    elif which == "key":
        public = data.draw(mutations(public))
    else:
        public = bytes(other.verify_key)
    both(signature, message[:7], message[7:], public)


@SETTINGS
@given(st.binary(max_size=70), st.binary(max_size=40), st.binary(max_size=40))
def test_arbitrary_bytes_never_verify_and_never_crash(signature: bytes, message: bytes,
                                                      public: bytes) -> None:
    assert both(signature, message, b"", public) == 0


def test_a_key_or_signature_of_another_length_is_refused_by_both_paths() -> None:
    key = KEYS[0]
    signature = key.sign(b"PAE").signature
    public = bytes(key.verify_key)
    assert both(signature, b"PA", b"E", public) == 1
    # libsodium reads the first 32 bytes of a longer key: the verifier does not let it
    assert both(signature, b"PA", b"E", public + b"\x00") == 0
    assert both(signature + b"\x00", b"PA", b"E", public) == 0
    assert both(signature[:63], b"PA", b"E", public) == 0


@SETTINGS
@given(st.sampled_from(KEYS), st.text(max_size=60), st.binary(max_size=5000), st.data())
def test_the_pae_written_natively_is_the_one_envelope_pae_writes(
        key: SigningKey, payload_type: str, payload: bytes, data: st.DataObject) -> None:
    """``verify_pae`` signs off exactly the bytes of ``envelope.pae`` (lengths in bytes of
    UTF-8, any payload type): a signature over them verifies, over another type or a
    payload one byte longer it does not."""
    public = bytes(key.verify_key)
    signature = key.sign(pae(payload_type, payload)).signature
    assert ed25519.verify_pae is not ed25519.verify_pae_py
    for args, want in [((payload_type, payload), 1), ((payload_type + "x", payload), 0),
                       ((payload_type, payload + b"\x00"), 0)]:
        assert ed25519.verify_pae(signature, *args, public) == want
        assert ed25519.verify_pae_py(signature, *args, public) == want
    wrong = data.draw(mutations(public))
    assert ed25519.verify_pae(signature, payload_type, payload, wrong) == \
        ed25519.verify_pynacl(signature, b"", pae(payload_type, payload), wrong)
