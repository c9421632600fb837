"""Code parsing helpers: dotted ↔ undotted, levels, parents, ancestors."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saksi.election.codes import (
    ancestors,
    dot,
    is_code,
    parse_region_code,
    parse_tps_code,
    tps_code,
    undot,
)
from saksi.election.model import Level, level_of_code, parent_code
from saksi.errors import InputError

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
region_codes = st.sampled_from([2, 4, 6, 10]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))


@given(region_codes)
def test_dot_and_undot_are_inverse(code: str) -> None:
    assert undot(dot(code)) == code
    assert parse_region_code(dot(code)) == code
    assert parse_region_code(code) == code


@given(region_codes)
def test_ancestors_climb_by_parent(code: str) -> None:
    chain = ancestors(code)
    assert chain[0] == code
    for child, parent in itertools.pairwise(chain):
        assert parent_code(child) == parent
    assert parent_code(chain[-1]) == "0"


@given(st.text(max_size=14))
def test_region_parser_accepts_only_codes(text: str) -> None:
    try:
        code = parse_region_code(text)
    except InputError as exc:
        assert exc.field == "region"
    else:
        assert code == "0" or level_of_code(code) is not Level.TPS


@given(st.text(max_size=15))
def test_tps_parser_accepts_only_13_characters(text: str) -> None:
    try:
        code = parse_tps_code(text)
    except InputError as exc:
        assert exc.field == "tps"
    else:
        assert len(code) == 13 and level_of_code(code) is Level.TPS


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.integers(1, 999))
def test_tps_code_appends_three_digits(village: str, number: int) -> None:
    code = tps_code(village, number)
    assert code[:10] == village and int(code[10:]) == number and is_code(code, Level.TPS)


def test_overseas_codes_may_carry_letters_like_kpu() -> None:
    assert level_of_code("99AA") is Level.KABKOTA
    assert level_of_code("99AA010001001") is Level.TPS
    with pytest.raises(ValueError):
        level_of_code("32AA")
    with pytest.raises(ValueError):
        undot("32.7.01")
