"""Control documents: strict, canonical, versioned by their payload type."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saksi.errors import InputError
from saksi.keys.envelope import TYPE_AUTHORITY, TYPE_ENROLMENT, TYPE_REVOCATION, TYPE_SHEET
from saksi.keys.ids import Role
from saksi.keys.payloads import (
    TYPE_OF,
    AuthorityCertificate,
    ControlDocument,
    Enrolment,
    Manifest,
    Revocation,
    decode_payload,
    encode_payload,
)

hexkeys = st.text("0123456789abcdef", min_size=64, max_size=64)
texts = st.text(st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), min_size=1,
                max_size=256)
digits = st.text("0123456789", min_size=1, max_size=1)


def code_of(length: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=length, max_size=length)


certificates = st.one_of(
    st.builds(AuthorityCertificate, key=hexkeys, name=texts, role=st.just(Role.KABKOTA),
              scope=code_of(4)),
    st.builds(AuthorityCertificate, key=hexkeys, name=texts, role=st.just(Role.KECAMATAN),
              scope=code_of(6)),
    st.builds(AuthorityCertificate, key=hexkeys, name=texts, role=st.just(Role.PROVINSI),
              scope=code_of(2)),
    st.builds(AuthorityCertificate, key=hexkeys, name=texts, role=st.just(Role.WITNESS),
              scope=st.one_of(st.just("0"), code_of(2), code_of(4), code_of(6), code_of(10))),
)
documents: st.SearchStrategy[ControlDocument] = st.one_of(
    st.builds(Manifest, election_sha256=hexkeys,
              log_origin=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E),
                                 min_size=1, max_size=256),
              root_key=hexkeys, scope=st.one_of(st.just("0"), code_of(2), code_of(4))),
    certificates,
    st.builds(Enrolment, key=hexkeys, tps=code_of(13)),
    st.builds(Revocation, keyid=hexkeys, reason=texts),
)


@given(documents)
def test_decode_inverts_encode(doc: ControlDocument) -> None:
    data = encode_payload(doc)
    assert decode_payload(TYPE_OF[type(doc)], data) == doc


@given(documents)
def test_canonical_form_is_compact_json_with_sorted_keys(doc: ControlDocument) -> None:
    data = encode_payload(doc)
    assert data == json.dumps(json.loads(data), separators=(",", ":"), sort_keys=True,
                              ensure_ascii=False).encode()


@given(documents, st.binary(max_size=3))
def test_trailing_bytes_or_other_spellings_are_refused(doc: ControlDocument, junk: bytes) -> None:
    data = encode_payload(doc)
    spaced = json.dumps(json.loads(data), sort_keys=True).encode()
    for variant in (data + b" " + junk, spaced):
        if variant == data:
            continue
        with pytest.raises(InputError):
            decode_payload(TYPE_OF[type(doc)], variant)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_or_canonical(data: bytes) -> None:
    for payload_type in TYPE_OF.values():
        try:
            doc = decode_payload(payload_type, data)
        except InputError:
            continue
        assert encode_payload(doc) == data


@pytest.mark.parametrize(
    "payload",
    [
        b'{"key":"' + b"ab" * 32 + b'","tps":"3201010001001","x":1}',  # unknown field
        b'{"key":"' + b"AB" * 32 + b'","tps":"3201010001001"}',  # upper-case hex
        b'{"key":"' + b"ab" * 32 + b'","tps":"320101000100"}',  # 12-digit TPS
        b'{"tps":"3201010001001","key":"' + b"ab" * 32 + b'"}',  # key order
        b'{"key":"' + b"ab" * 32 + b'"}',  # missing field
    ],
)
def test_malformed_enrolments_are_refused(payload: bytes) -> None:
    with pytest.raises(InputError):
        decode_payload(TYPE_ENROLMENT, payload)


def test_role_and_scope_must_agree() -> None:
    bad = b'{"key":"' + b"ab" * 32 + b'","name":"x","role":"kabkota","scope":"320101"}'
    with pytest.raises(InputError):
        decode_payload(TYPE_AUTHORITY, bad)
    for role in ("device", "root"):
        cert = b'{"key":"' + b"ab" * 32 + b'","name":"x","role":"' + role.encode() + (
            b'","scope":"32"}'
        )
        with pytest.raises(InputError):
            decode_payload(TYPE_AUTHORITY, cert)
    with pytest.raises(ValueError, match="does not fit"):
        AuthorityCertificate(key="ab" * 32, name="x", role=Role.KECAMATAN, scope="3201")


def test_control_characters_in_names_are_refused() -> None:
    with pytest.raises(InputError):
        encode_payload(Revocation(keyid="ab" * 32, reason="line\nbreak"))


def test_sheet_is_not_a_control_document() -> None:
    with pytest.raises(InputError):
        decode_payload(TYPE_SHEET, b"{}")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"key":"' + b"ab" * 32 + b'","tps":"3201010001001\\n"}',
        b'{"key":"' + b"ab" * 32 + b'\\n","tps":"3201010001001"}',
        b'{"keyid":"' + b"ab" * 32 + b'","reason":"hilang\\n"}',
        b'{"key":"' + b"ab" * 32 + b'","tps":"32AB010001001"}',  # letters only overseas
    ],
)
def test_a_trailing_newline_or_stray_letter_is_not_a_valid_code(payload: bytes) -> None:
    payload_type = TYPE_REVOCATION if b"reason" in payload else TYPE_ENROLMENT
    with pytest.raises(InputError):
        decode_payload(payload_type, payload)


def test_overseas_codes_may_hold_capital_letters() -> None:
    doc = Enrolment(key="ab" * 32, tps="99AJ010001001")
    assert decode_payload(TYPE_ENROLMENT, encode_payload(doc)) == doc
    cert = AuthorityCertificate(key="ab" * 32, name="Jeddah", role=Role.KABKOTA, scope="99AJ")
    assert decode_payload(TYPE_AUTHORITY, encode_payload(cert)) == cert
