"""The key pass names exactly the keys the entry pass would accept.

Before signatures are checked, the verifier collects every key that control
entries introduce; for enrolments and authority certificates it reads the key
from the payload's first member instead of decoding the document. Whenever it
names a key that way, the full decoder either names the same key or refuses
the entry (which the entry pass then reports).
"""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saksi.audit.envelope import (
    TYPE_AUTHORITY,
    TYPE_ENROLMENT,
    TYPE_MANIFEST,
    TYPE_REVOCATION,
    Authority,
    Enrolment,
    decode_control,
)
from saksi.audit.scan import _leading_key, named_key
from saksi.audit.tlog import FormatError

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
hex64 = st.from_regex(r"\A[0-9a-f]{64}\Z")
enrolments = st.builds(Enrolment, key=hex64, tps=st.from_regex(r"\A[0-9]{13}\Z"))
authorities = st.builds(Authority, key=hex64, name=st.text(min_size=1, max_size=20),
                        role=st.sampled_from(["provinsi", "kabkota", "kecamatan", "witness"]),
                        scope=st.from_regex(r"\A[0-9]{2}(?:[0-9]{2}(?:[0-9]{2})?)?\Z"))


def _full(payload_type: str, payload: bytes) -> str | FormatError | None:
    try:
        return named_key(decode_control(payload_type, payload))
    except FormatError as exc:
        return exc


@SETTINGS
@given(st.one_of(enrolments.map(lambda d: (TYPE_ENROLMENT, d)),
                 authorities.map(lambda d: (TYPE_AUTHORITY, d))))
def test_a_canonical_document_names_its_key_either_way(typed: tuple[str, object]) -> None:
    payload_type, doc = typed
    payload = msgspec.json.encode(doc)
    assert _leading_key(payload_type, payload) == doc.key  # type: ignore[attr-defined]
    full = _full(payload_type, payload)
    assert isinstance(full, FormatError) or full == doc.key  # type: ignore[attr-defined]


@SETTINGS
@given(st.one_of(enrolments, authorities), st.data())
def test_a_mutated_document_never_names_another_key(doc: object, data: st.DataObject) -> None:
    payload_type = TYPE_ENROLMENT if isinstance(doc, Enrolment) else TYPE_AUTHORITY
    payload = bytearray(msgspec.json.encode(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(payload) - 1))
        payload[i] = data.draw(st.integers(0, 255))
    fast = _leading_key(payload_type, bytes(payload))
    if fast is None:
        return
    full = _full(payload_type, bytes(payload))
    assert isinstance(full, FormatError) or full == fast


def test_other_documents_take_the_full_decoder() -> None:
    key = "ab" * 32
    for payload_type in (TYPE_MANIFEST, TYPE_REVOCATION):
        assert _leading_key(payload_type, b'{"key":"' + key.encode() + b'","x":1}') is None
    assert _leading_key(TYPE_ENROLMENT, b'{"key":"' + key.upper().encode() + b'","tps":"1"}') \
        is None
    assert _leading_key(TYPE_ENROLMENT, b'{"tps":"1","key":"' + key.encode() + b'"}') is None
