"""The published documents: schema, exact shares, children, history, touched."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tally_support import TPS_CODES, sheet_for, small_shape, version

from saksi.election.model import Contest
from saksi.errors import InputError, NotFoundError
from saksi.tally.render import (
    SCHEMA,
    dapil_document,
    encode,
    progress_document,
    region_document,
    render,
    touched,
    tps_document,
)
from saksi.tally.shape import NATIONAL
from saksi.tally.tally import Tally

SHAPE = small_shape()


def _walk(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _walk(v)]
    if isinstance(node, list):
        return [x for v in node for x in _walk(v)]
    return [node]


def _filled() -> Tally:
    tally = Tally(SHAPE)
    index = 0
    for n, code in enumerate(TPS_CODES[:-1]):  # the overseas TPS stays missing
        for contest in SHAPE.tps[code].contests:
            index += 1
            tally.apply(version(index, sheet_for(SHAPE, code, contest, n), flagged=n == 2))
    return tally


def test_national_region_document() -> None:
    tally = _filled()
    doc = msgspec.json.decode(encode(region_document(tally, Contest.PPWP, NATIONAL)))
    assert doc["schema"] == SCHEMA == "saksi/results/v1"
    assert doc["as_of_index"] == tally.as_of_index
    assert [c["region"]["code"] for c in doc["children"]] == ["31", "32", "99"]
    assert doc["progress"]["sheets_expected"] == len(TPS_CODES)
    assert doc["progress"]["sheets_in"] == len(TPS_CODES) - 1
    assert doc["progress"]["sheets_flagged"] == 1
    den = sum(c["votes"] for c in doc["choices"])
    for choice in doc["choices"]:
        assert choice["share"] == f"{choice['votes']}/{den}"
        assert choice["share_bp"] == choice["votes"] * 10_000 // den
    assert not any(isinstance(x, float) for x in _walk(doc))
    assert doc["totals"]["total"] == sum(c["totals"]["total"] for c in doc["children"])


def test_desa_lists_its_tps_with_status() -> None:
    tally = _filled()
    doc = region_document(tally, Contest.DPR, "3273011001")
    assert [(t.code, t.status) for t in doc.tps] == [
        ("3273011001001", "flagged"), ("3273011001002", "current")]
    assert [d.code for d in doc.dapils] == ["dpr-32-01"]
    abroad = region_document(tally, Contest.PPWP, "9901011001")
    assert [t.status for t in abroad.tps] == ["missing"]


def test_dapil_document_has_candidates_and_projection() -> None:
    tally = _filled()
    doc = dapil_document(tally, "dprd-kabkota-3273-01")
    assert doc.eligible is None
    assert sum(p.seats for p in doc.parties) == sum(s for _, s in doc.projection) == 5
    for block in doc.parties:
        assert block.choice.votes == (block.choice.party_votes or 0) + sum(
            c.votes for c in block.candidates)  # clean generated sheets add up
    dpd = dapil_document(tally, "dpd-32")
    assert len(dpd.projection) == 4 and len(dpd.candidates) == 6


def test_tps_document_shows_history() -> None:
    tally = Tally(SHAPE)
    code = "3171011001001"
    first = version(1, sheet_for(SHAPE, code, Contest.DPD, 1))
    second = version(2, sheet_for(SHAPE, code, Contest.DPD, 2, revision=2))
    tally.apply(first)
    tally.apply(second)
    sheets = {1: first.sheet, 2: second.sheet}
    doc = msgspec.json.decode(encode(tps_document(tally, code, sheets)))
    dpd = next(c for c in doc["contests"] if c["contest"] == "dpd")
    assert dpd["status"] == "current" and dpd["current"]["index"] == 2
    # The current version's signed sheet, as given: the tally keeps only counts.
    assert dpd["sheet"] == msgspec.json.decode(msgspec.json.encode(second.sheet))
    assert [(h["index"], h["superseded_by"]) for h in dpd["history"]] == [(1, 2), (2, None)]
    assert [c["contest"] for c in doc["contests"]] == ["ppwp", "dpr", "dpd", "dprd-prov"]
    assert {c["status"] for c in doc["contests"] if c["contest"] != "dpd"} == {"missing"}


def test_progress_per_province() -> None:
    doc = progress_document(_filled())
    by = {p.region.code: p for p in doc.provinces}
    assert by["31"].sheets_expected == 2 * 4 and by["31"].sheets_in == 8
    assert by["99"].sheets_expected == 3 and by["99"].sheets_in == 0
    assert doc.national["ppwp"].sheets_in == 7


def test_render_dispatch_and_errors() -> None:
    tally = _filled()
    assert render(tally, "region", "dpd/32").kind == "region"
    assert render(tally, "seats", "dpr").kind == "seats"
    assert render(tally, "progress", "0").kind == "progress"
    with pytest.raises(InputError):
        render(tally, "region", "nope/32")
    with pytest.raises(InputError):
        render(tally, "bogus", "x")
    with pytest.raises(NotFoundError):
        render(tally, "region", "dprd-kabkota/31")  # not held in Jakarta
    with pytest.raises(NotFoundError):
        render(tally, "tps", "3273011001999")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(TPS_CODES) - 1), st.integers(0, 4),
                          st.integers(1, 3), st.booleans()), min_size=1, max_size=20))
def test_touched_names_exactly_the_documents_that_changed(
        ops: list[tuple[int, int, int, bool]]) -> None:
    """Render every document before and after a batch: those that differ
    (apart from as_of_index) are all named by touched()."""
    tally = Tally(SHAPE)
    tally.apply(version(1, sheet_for(SHAPE, "3171011001001", Contest.DPR, 0)))
    everything = [("region", f"{c}/{r}") for (c, r) in SHAPE.expected] + [
        ("dapil", d) for d in SHAPE.dapils] + [("tps", t) for t in TPS_CODES] + [
        ("progress", "0")] + [("seats", c) for c in ("dpr", "dprd-prov", "dprd-kabkota")]

    def snapshot() -> dict[tuple[str, str], Any]:
        out = {}
        for key in everything:
            doc = msgspec.to_builtins(render(tally, *key))
            doc.pop("as_of_index", None)
            if "projection" in doc and isinstance(doc["projection"], dict):
                doc["projection"].pop("as_of_index", None)
            out[key] = doc
        return out

    before = snapshot()
    applied = []
    for i, (t, c, revision, flagged) in enumerate(ops):
        code = TPS_CODES[t]
        contest = SHAPE.tps[code].contests[c % len(SHAPE.tps[code].contests)]
        applied.append(tally.apply(version(10 + i, sheet_for(SHAPE, code, contest, i, revision),
                                           flagged=flagged)))
    after = snapshot()
    changed = {k for k in everything if before[k] != after[k]}
    assert changed <= touched(applied, SHAPE)
