"""The accelerator's bundle splitting, leaf hashes and tile roots against tlog's
reference, and its one call per entry against the calls it replaces.

``leaves.bundle_leaves`` must split exactly as ``tlog.split_bundle`` and hash exactly as
``tlog.leaf_hash``; a bundle that is not whole is refused with split_bundle's words.
``leaves.tile_root`` must be ``tlog.perfect_root``. ``envelope.one_signature_checked``
must give ``one_signature``'s parts, ``verify_pae``'s verdict and ``read_facts``'s facts,
or say it did not decide (-1, None): it may leave work to Python, never change it."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.audit import ed25519, leaves
from saksi.audit.envelope import (
    TYPE_ENROLMENT,
    TYPE_SHEET,
    keyid_of,
    one_signature,
    one_signature_checked,
)
from saksi.audit.sheet import read_facts
from saksi.audit.tlog import FormatError, leaf_hash, perfect_root, split_bundle

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "sheets"))
from audit_support import accel_module, envelope, mutations
from sheets_strategies import sheets  # type: ignore[import-not-found]

from saksi.sheets.canonical import encode

_accel = accel_module()

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# the largest entry a bundle can hold is drawn as a repeated byte (cheap to generate)
entries = st.lists(st.binary(max_size=300)
                   | st.integers(0, 255).map(lambda b: bytes([b]) * 65535), max_size=12)


def bundle(items: list[bytes]) -> bytes:
    return b"".join(len(e).to_bytes(2, "big") + e for e in items)


def test_openssl_sha256_is_in_use_where_the_accelerator_is_built() -> None:
    assert leaves.FAST


# ------------------------------------------------------------------ bundles
@SETTINGS
@given(entries)
def test_a_whole_bundle_splits_and_hashes_as_the_reference(items: list[bytes]) -> None:
    data = bundle(items)
    got = _accel.leaves(data, len(items))
    assert got is not None
    assert got[0] == split_bundle(data, len(items)) == items
    assert got[1] == b"".join(leaf_hash(e) for e in items)
    assert leaves.bundle_leaves(data, len(items)) == got


@SETTINGS
@given(entries, st.data())
def test_a_bundle_that_is_not_whole_is_refused_with_the_references_words(
        items: list[bytes], data: st.DataObject) -> None:
    raw = bundle(items)
    how = data.draw(st.sampled_from(["mutated", "count", "tail"]))
    count = len(items)
    if how == "mutated":
        raw = data.draw(mutations(raw))
    elif how == "count":
        count = data.draw(st.integers(0, len(items) + 3))
    else:
        raw += data.draw(st.binary(min_size=1, max_size=3))
    try:
        expected: Any = split_bundle(raw, count)
    except FormatError as exc:
        expected = str(exc)
    native = _accel.leaves(raw, count)
    if isinstance(expected, str):
        assert native is None
        with pytest.raises(FormatError) as caught:
            leaves.bundle_leaves(raw, count)
        assert str(caught.value) == expected
    else:
        assert native is not None and native[0] == expected
        assert native[1] == b"".join(leaf_hash(e) for e in expected)


def test_a_negative_count_is_left_to_the_reference() -> None:
    assert _accel.leaves(b"", -1) is None


# ------------------------------------------------------------------ tile roots
@SETTINGS
@given(st.integers(0, 8), st.data())
def test_a_perfect_tree_has_the_references_root(height: int, data: st.DataObject) -> None:
    hashes = [data.draw(st.binary(min_size=32, max_size=32)) for _ in range(1 << height)]
    joined = b"".join(hashes)
    assert _accel.perfect_root(joined) == perfect_root(hashes)
    assert leaves.tile_root(joined) == perfect_root(hashes)


@pytest.mark.parametrize("size", [0, 31, 33, 96, 3 * 32, 5 * 32, 6 * 32, 255 * 32])
def test_a_tree_that_is_not_perfect_has_no_native_root(size: int) -> None:
    assert _accel.perfect_root(bytes(size)) is None


def test_a_node_is_sha256_of_one_and_both_children() -> None:
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert _accel.perfect_root(left + right) == hashlib.sha256(b"\x01" + left + right).digest()


# ------------------------------------------------------------------ one call per entry
KEYS = [SigningKey(bytes([i + 7]) * 32) for i in range(2)]


def keyring(key: SigningKey, spelling: str = "lower") -> dict[str, str]:
    public = bytes(key.verify_key).hex()
    return {keyid_of(bytes(key.verify_key)): public.upper() if spelling == "upper" else public}


def reference(raw: bytes, keys: dict[str, str]) -> tuple[Any, ...] | None:
    """What the per-entry path computed before the one call: envelope, verdict, facts."""
    parts = one_signature(raw)
    if parts is None:
        return None
    payload_type, payload, keyid, sig = parts
    if payload_type != TYPE_SHEET:
        return (*parts, -1, None)
    public = keys.get(keyid)
    verdict = -1 if public is None else ed25519.verify_pae(sig, payload_type, payload,
                                                           bytes.fromhex(public))
    return (*parts, verdict, _accel.sheet(payload))


@SETTINGS
@given(sheets(), st.sampled_from(KEYS), st.sampled_from(["lower", "upper", "other", "none"]))
def test_a_signed_sheet_gets_the_verdict_and_facts_of_the_calls_it_replaces(
        sheet: Any, key: SigningKey, keys_held: str) -> None:
    raw = envelope(TYPE_SHEET, encode(sheet), [key])
    keys = {"none": {}, "other": keyring(KEYS[0] if key is KEYS[1] else KEYS[1])}.get(
        keys_held, keyring(key, keys_held))
    if keys_held == "other":  # another key under this keyid: the signature fails
        keys = {keyid_of(bytes(key.verify_key)): next(iter(keys.values()))}
    got = one_signature_checked(raw, keys)
    assert got is not None
    assert got == reference(raw, keys)
    assert got[4] == {"lower": 1, "upper": 1, "other": 0, "none": -1}[keys_held]
    # facts where the accelerator reads the sheet (printable ASCII), None where it does not
    assert got[5] is None or got[5] == read_facts(got[1])


@SETTINGS
@given(sheets(), st.data())
def test_a_mutated_entry_gets_the_same_answer_or_none(sheet: Any, data: st.DataObject) -> None:
    key = KEYS[0]
    raw = data.draw(mutations(envelope(TYPE_SHEET, encode(sheet), [key])))
    keys = keyring(key)
    assert one_signature_checked(raw, keys) == reference(raw, keys)


@pytest.mark.parametrize("public", ["", "00" * 31, "zz" * 32, "00" * 33, " " + "00" * 32])
def test_a_key_that_is_not_64_hex_digits_is_left_to_the_caller(public: str) -> None:
    payload = b'{"not":"a sheet"}'
    raw = envelope(TYPE_SHEET, payload, [KEYS[0]])
    got = one_signature_checked(raw, {keyid_of(bytes(KEYS[0].verify_key)): public})
    assert got is not None and got[4] == -1 and got[5] is None  # not a sheet: no facts


def test_other_payload_types_are_read_but_not_decided() -> None:
    raw = envelope(TYPE_ENROLMENT, b"{}", [KEYS[0]])
    got = one_signature_checked(raw, keyring(KEYS[0]))
    assert got is not None and got[0] == TYPE_ENROLMENT and got[4:] == (-1, None)
