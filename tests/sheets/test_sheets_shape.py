"""CH-SHAPE: anything that is not a sheet is refused with the field path and
value named in both languages — and parsing never raises anything else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sheets_strategies import sample_ballot, sample_tps

from saksi.election.model import Contest
from saksi.sheets.canonical import SheetShapeError, decode, encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.model import MAX_DOCUMENT_BYTES
from saksi.sheets.rules import Verdict, parse_and_check

TPS = sample_tps()


def _doc(contest: Contest = Contest.DPR) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        encode(generate_sheet(sample_ballot(contest, TPS.code), TPS, 7))
    )
    return data


def _bytes(doc: object) -> bytes:
    return json.dumps(doc).encode()


class OneTps:
    """A lookup with one TPS in Jakarta (no dprd-kabkota there)."""

    def tps(self, code: str) -> Any:
        if code != TPS.code:
            raise KeyError(code)
        return TPS

    def contests_at(self, tps_code: str) -> list[Contest]:
        return [c for c in Contest if c is not Contest.DPRD_KABKOTA]

    def ballot(self, tps_code: str, contest: Contest) -> Any:
        return sample_ballot(contest, tps_code)


def _set(doc: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


CASES = [
    # (path in the document, new value, path named in the error, value named)
    (["votes", "parties", 3, "candidates", 2, "votes"], -1,
     "votes.parties[3].candidates[2].votes", -1),
    (["votes", "parties", 3, "candidates", 2, "votes"], 1.5,
     "votes.parties[3].candidates[2].votes", 1.5),
    (["votes", "parties", 0, "total"], True, "votes.parties[0].total", True),
    (["votes", "parties", 0, "total"], "12", "votes.parties[0].total", "12"),
    (["votes", "parties", 0, "total"], 10**9 + 1, "votes.parties[0].total", 10**9 + 1),
    (["votes", "parties", 0, "total"], 10**30, "votes.parties[0].total", 10**30),
    (["votes", "parties", 0, "total"], None, "votes.parties[0].total", None),
    (["voters", "B1", "L"], 3.0, "voters.B1.L", 3.0),
    (["ballots", "2"], -5, "ballots.2", -5),
    (["totals", "C"], [1], "totals.C", "[1]"),
    (["revision"], 0, "revision", 0),
    (["schema"], "saksi/c-hasil/v2", "schema", "saksi/c-hasil/v2"),
    (["contest"], "dprd", "contest", "dprd"),
    (["tps"], "317101100100", "tps", "317101100100"),
    (["tps"], "31710110010a1", "tps", "31710110010a1"),
    (["photo_sha256"], "AB" * 32, "photo_sha256", "AB" * 32),
    (["photo_sha256"], "ab" * 32 + "\n", "photo_sha256", "ab" * 32 + "\n"),
    (["tps"], "3171011001001\n", "tps", "3171011001001\n"),
    (["tps"], "31AA010001001", "tps", "31AA010001001"),
    (["tps"], "99aa010001001", "tps", "99aa010001001"),
    (["tps"], "３１７１０１１００１００１", "tps", "３１７１０１１００１００１"),
    (["schema"], "saksi/c-hasil/v1\n", "schema", "saksi/c-hasil/v1\n"),
    (["reason"], "x" * 501, "reason", "x" * 100 + "…"),
    (["voters", "A", "K"], 1, "voters.A.K", 1),
    (["votes", "parties", 1, "extra"], {"a": 1}, "votes.parties[1].extra", "{'a': 1}"),
    (["submitted_at"], "2024-02-14T13:00:00+07:00", "submitted_at",
     "2024-02-14T13:00:00+07:00"),
]


@pytest.mark.parametrize(("path", "value", "field", "shown"), CASES)
def test_a_bad_value_is_refused_naming_field_and_value(
    path: list[Any], value: Any, field: str, shown: Any
) -> None:
    data = _bytes(_set(_doc(), path, value))
    with pytest.raises(SheetShapeError) as err:
        decode(data)
    assert err.value.field == field
    assert err.value.value == shown
    assert field in err.value.message_id and field in err.value.message_en
    sheet, result = parse_and_check(data, OneTps())
    assert sheet is None
    assert result.verdict is Verdict.REJECTED
    [r] = result.results
    assert (r.code, r.severity, r.fields) == ("CH-SHAPE", "reject", (field,))


@pytest.mark.parametrize("missing", ["voters", "totals", "revision", "tps", "schema"])
def test_a_missing_field_is_named(missing: str) -> None:
    doc = _doc()
    del doc[missing]
    with pytest.raises(SheetShapeError) as err:
        decode(_bytes(doc))
    assert err.value.field == missing
    assert "kolom wajib" in err.value.message_id


def test_a_missing_nested_field_is_named_with_its_path() -> None:
    doc = _doc()
    del doc["votes"]["parties"][2]["party_votes"]
    with pytest.raises(SheetShapeError) as err:
        decode(_bytes(doc))
    assert err.value.field == "votes.parties[2].party_votes"


def test_votes_in_the_list_of_another_contest_are_refused() -> None:
    doc = _doc(Contest.PPWP)
    doc["votes"]["parties"] = [{"number": 1, "party_votes": 0, "candidates": [], "total": 0}]
    with pytest.raises(SheetShapeError) as err:
        decode(_bytes(doc))
    assert err.value.field == "votes.parties"


@pytest.mark.parametrize(
    "data",
    [b"", b"null", b"[]", b"12", b'"sheet"', b"{", b"\xff\xfe", b"{}" + b" " * 10,
     b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000],
)
def test_garbage_is_refused_without_a_traceback(data: bytes) -> None:
    with pytest.raises(SheetShapeError):
        decode(data)
    assert parse_and_check(data, OneTps())[1].verdict is Verdict.REJECTED


def test_documents_over_64_kib_are_refused_before_parsing() -> None:
    doc = _doc()
    doc["reason"] = "ok"
    data = _bytes(doc)
    big = data[:-1] + b" " * (MAX_DOCUMENT_BYTES - len(data) + 1) + b"}"
    assert len(big) == MAX_DOCUMENT_BYTES + 1
    with pytest.raises(SheetShapeError) as err:
        decode(big)
    assert "64" in err.value.message_en or str(MAX_DOCUMENT_BYTES) in err.value.message_en
    decode(big[: MAX_DOCUMENT_BYTES - 1] + b"}")  # just under the limit parses


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_a_shape_error(data: bytes) -> None:
    with contextlib.suppress(SheetShapeError):
        decode(data)
    parse_and_check(data, OneTps())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))] or [prefix]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*prefix, i))] or [prefix]
    return [prefix]


@settings(max_examples=300)
@given(st.sampled_from(list(Contest)), st.data(), json_values)
def test_replacing_any_part_of_a_valid_sheet_never_raises(
    contest: Contest, data: st.DataObject, replacement: Any
) -> None:
    doc = _doc(contest)
    path = data.draw(st.sampled_from(_leaf_paths(doc)))
    cut = data.draw(st.integers(0, len(path) - 1))  # replace a leaf or a whole subtree
    _set(doc, list(path[: cut + 1]), replacement)
    raw = _bytes(doc)
    try:
        decode(raw)
    except SheetShapeError as err:
        assert err.message_id and err.message_en
    _sheet, result = parse_and_check(raw, OneTps())
    assert result.verdict in set(Verdict)


@given(json_values)
def test_arbitrary_json_never_raises(value: Any) -> None:
    parse_and_check(json.dumps(value).encode(), OneTps())


def test_too_many_entries_are_refused_and_the_value_is_shown_short() -> None:
    doc = _doc(Contest.DPD)
    doc["votes"]["candidates"] = [{"number": i, "votes": 0} for i in range(1, 102)]
    with pytest.raises(SheetShapeError) as err:
        decode(_bytes(doc))
    assert err.value.field == "votes.candidates"
    assert isinstance(err.value.value, str) and len(err.value.value) <= 101
    assert len(str(err.value)) < 400


def test_overseas_codes_may_hold_capital_letters() -> None:
    doc = _doc()
    doc["tps"] = "99AA010001001"
    assert decode(_bytes(doc)).tps == "99AA010001001"
