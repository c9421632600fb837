"""The portal's pure parts: number formats, links, escaping, checkpoint
parsing and the cartogram layout."""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from saksi.portal.cartogram import TILES, cartogram
from saksi.portal.data import parse_checkpoint
from saksi.portal.html import e, href
from saksi.portal.text import fmt_bp, fmt_int, fmt_percent, lang_of

DOC_CHECKPOINT = (
    "demo.saksi.example/log\n4\nMzdqO9Y+mZNwioTd/mworli4NQXdH+1xG9kk7FpiOfA=\n\n"
    "— demo.saksi.example/log 6DadXACImt7Xxd6kxN5dLY0waE8eNIaHZ5WRMUI/1XAdCuaGpxoB+aqbN0xu210v3"
    "bUZ9DIFg2DOshBqvZGglaYvJwk=\n"
    "— witness.saksi.example/w1 WcKtTQAAAABrAW+UaObs8TRmqNxrXqIGFYYFOJdsIfFqSrNhk1bMPQ12fXQxDX0m"
    "fFQCOBXgXDpegFr+jWgKiGnDDxKwnQxL+YXgAg==\n")


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_indonesian_and_english_integers_differ_only_in_separators(n: int) -> None:
    ident, eng = fmt_int(n, "id"), fmt_int(n, "en")
    assert ident.replace(".", "") == eng.replace(",", "") == str(n)
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*", ident)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", eng)


def test_known_numbers() -> None:
    assert fmt_int(1234567, "id") == "1.234.567"
    assert fmt_int(999, "id") == "999"
    assert fmt_percent("58.59", "id") == "58,59%"
    assert fmt_percent("58.59", "en") == "58.59%"
    assert fmt_bp(764, "id") == "7,64%"
    assert fmt_bp(10_000, "en") == "100.00%"


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_percentages_keep_the_published_digits(whole: int, frac: int) -> None:
    published = f"{whole}.{frac:02d}"
    shown = fmt_percent(published, "id")
    assert shown.endswith("%")
    assert shown[:-1].replace(".", "").replace(",", ".") == published


@given(st.text(max_size=40))
def test_language_defaults_to_indonesian(value: str) -> None:
    assert lang_of(value) == ("en" if value == "en" else "id")


@given(st.dictionaries(st.sampled_from(["contest", "q", "page"]), st.text(max_size=20)))
def test_links_keep_english_and_nothing_else_is_added(params: dict[str, str]) -> None:
    en = href("/cari", "en", **params)
    ident = href("/cari", "id", **params)
    assert "lang=en" in en
    assert "lang=" not in ident
    assert en.startswith("/cari")


@given(st.text(max_size=200))
def test_escaping_leaves_no_markup(text: str) -> None:
    out = e(text)
    assert "<" not in out and ">" not in out and '"' not in out


def test_the_documented_checkpoint_parses_with_its_witness() -> None:
    cp = parse_checkpoint(DOC_CHECKPOINT)
    assert (cp.origin, cp.size) == ("demo.saksi.example/log", 4)
    assert cp.root_hex == base64.b64decode("MzdqO9Y+mZNwioTd/mworli4NQXdH+1xG9kk7FpiOfA=").hex()
    assert [s.name for s in cp.signatures] == ["demo.saksi.example/log",
                                               "witness.saksi.example/w1"]
    assert [w.name for w in cp.witnesses] == ["witness.saksi.example/w1"]
    assert cp.witnesses[0].cosigned_at is not None


def test_the_cartogram_has_every_province_once_and_overseas() -> None:
    from saksi.election.tree import load_builtin

    provinces = set(load_builtin().kids("0"))
    assert set(TILES) == provinces
    assert len(TILES) == 39
    positions = [(r, c) for _, r, c in TILES.values()]
    assert len(set(positions)) == len(positions)


def test_cartogram_tiles_carry_text_not_only_colour() -> None:
    html = cartogram({"32": 764}, {"32": "JAWA BARAT"}, "id", contest="ppwp", caption="c",
                     note="n", missing="tidak termasuk")
    assert "7,64%" in html and "JAWA BARAT" in html
    assert html.count("tidak termasuk") == 38
