"""A renderer that keeps a RenderCache publishes exactly the bytes of one that does not."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tally_support import TPS_CODES, sheet_for, small_shape, version

from saksi.election.model import Contest
from saksi.tally.render import RenderCache, encode, render, touched
from saksi.tally.tally import Tally

SHAPE = small_shape()

op = st.tuples(
    st.integers(0, len(TPS_CODES) - 1),
    st.integers(0, 4),  # contest (modulo those held there)
    st.booleans(),  # signed by the PPK
    st.integers(1, 4),  # revision
    st.booleans(),  # flagged
    st.integers(0, 2**16),  # sheet seed
)


def every_document() -> list[tuple[str, str]]:
    names = [("progress", "0")]
    names += [("region", f"{c}/{r}") for (c, r), n in SHAPE.expected.items() if n]
    names += [("dapil", d) for d, n in SHAPE.expected_dapil.items() if n]
    names += [("seats", str(c)) for c in (Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA)]
    return names + [("tps", t) for t in TPS_CODES]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(op, max_size=8), max_size=6), st.integers(1, 50))
def test_cached_renders_equal_fresh_renders(
        batches: list[list[tuple[int, int, bool, int, bool, int]]], max_rows: int) -> None:
    tally = Tally(SHAPE)
    cache = RenderCache(max_rows=max_rows)
    names = every_document()
    index = 0
    for batch in batches:
        applied = []
        for t, c, ppk, revision, flagged, seed in batch:
            code = TPS_CODES[t]
            contests = SHAPE.tps[code].contests
            contest = contests[c % len(contests)]
            sheet = sheet_for(SHAPE, code, contest, seed, revision,
                              reason="koreksi pleno" if ppk else None)
            index += 1
            applied.append(tally.apply(version(index, sheet, ppk=ppk, flagged=flagged)))
        # Render only what the batch touched (as the sequencer does) to warm the
        # cache unevenly, then compare every document.
        for kind, key in sorted(touched(applied, SHAPE)):
            render(tally, kind, key, cache)
        for kind, key in names:
            assert encode(render(tally, kind, key, cache)) == encode(render(tally, kind, key))


def test_a_change_in_a_child_reaches_the_cached_parent() -> None:
    tally = Tally(SHAPE)
    cache = RenderCache()
    code = TPS_CODES[0]
    desa, kecamatan = code[:10], code[:6]
    before = encode(render(tally, "region", f"ppwp/{kecamatan}", cache))
    tally.apply(version(1, sheet_for(SHAPE, code, Contest.PPWP, 7)))
    after = encode(render(tally, "region", f"ppwp/{kecamatan}", cache))
    assert after != before
    assert after == encode(render(tally, "region", f"ppwp/{kecamatan}"))
    desa_doc = encode(render(tally, "region", f"ppwp/{desa}", cache))
    tally.apply(version(2, sheet_for(SHAPE, code, Contest.PPWP, 8, revision=2)))
    assert encode(render(tally, "region", f"ppwp/{desa}", cache)) != desa_doc


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=12),
       st.lists(st.dictionaries(st.sampled_from(["index", "signer", "reason", "envelope"]),
                                st.none() | st.integers() | st.text()), max_size=3))
def test_tps_documents_splice_equals_decode_merge_encode(
        ops: list[tuple[int, int, bool, int, bool, int]],
        documents: list[dict[str, object]]) -> None:
    import msgspec

    from saksi.ingest.sequencer import with_documents

    tally = Tally(SHAPE)
    for index, (t, c, ppk, revision, flagged, seed) in enumerate(ops, 1):
        code = TPS_CODES[t]
        contests = SHAPE.tps[code].contests
        sheet = sheet_for(SHAPE, code, contests[c % len(contests)], seed, revision,
                          reason="koreksi pleno\n\u2028\"x\"" if ppk else None)
        tally.apply(version(index, sheet, ppk=ppk, flagged=flagged))
    for code in TPS_CODES:
        body = encode(render(tally, "tps", code))
        merged = msgspec.json.decode(body)
        assert "documents" not in merged
        merged["documents"] = documents
        assert with_documents(body, documents) == msgspec.json.encode(merged)
