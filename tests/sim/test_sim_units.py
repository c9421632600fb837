"""The simulator's small pieces: retry timing, request bodies, expected totals."""

from __future__ import annotations

import random

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from saksi.api.submit import MAX_DOCUMENTS, split_documents
from saksi.errors import InputError
from saksi.sim.check import expected_totals
from saksi.sim.night import BACKOFF_CAP, MAX_BATCH, backoff, batch_body, retry_after
from saksi.sim.report import percentile
from saksi.sim.work import Doc, Rates, leaf_hash


@given(st.integers(min_value=0, max_value=10_000), st.integers())
def test_backoff_is_jittered_exponential_and_capped(attempt: int, seed: int) -> None:
    delay = backoff(attempt, random.Random(seed))
    step = min(BACKOFF_CAP, 0.05 * 2.0 ** min(attempt, 30))
    assert step / 2 <= delay <= step


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_retry_after_reads_delta_seconds(seconds: float) -> None:
    assert retry_after(repr(seconds)) == seconds
    assert retry_after(f" {int(seconds)} ") == int(seconds)


@pytest.mark.parametrize("value", [None, "", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "-1"])
def test_retry_after_ignores_what_is_not_delta_seconds(value: str | None) -> None:
    assert retry_after(value) is None


def _doc(raw: bytes, tps: str = "3273010001001", contest: str = "ppwp", total: int = 10,
         valid: int = 9, choices: tuple[tuple[int, int], ...] = ((1, 4), (2, 5))) -> Doc:
    return Doc(raw, leaf_hash(raw), tps, contest, 1, "device", None, total, valid, choices)


@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=3),
                min_size=1, max_size=MAX_BATCH))
def test_a_batch_body_is_the_documents_the_api_splits_back(objects: list[dict[str, int]]
                                                            ) -> None:
    raws = [msgspec.json.encode(o) for o in objects]
    body = batch_body([_doc(r) for r in raws])
    assert split_documents(body, "application/json") == raws


def test_batches_fit_the_api_limit() -> None:
    assert MAX_BATCH == MAX_DOCUMENTS


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300), st.booleans(),
                          st.sampled_from(["ppwp", "dpr"])), max_size=30))
def test_expected_totals_count_current_unflagged_sheets_of_the_contest(
        rows: list[tuple[int, int, bool, str]]) -> None:
    current = {}
    for n, (a, b, flagged, contest) in enumerate(rows):
        doc = _doc(str(n).encode(), tps=f"T{n}", contest=contest, total=a + b, valid=a,
                   choices=((1, a), (2, 0)))
        current[f"T{n}", contest] = (doc, flagged)
    exp = expected_totals(current, "ppwp")
    counted = [(a, b) for a, b, f, c in rows if c == "ppwp" and not f]
    assert exp.valid == sum(a for a, _ in counted)
    assert exp.total == sum(a + b for a, b in counted)
    assert exp.choices == ({1: exp.valid} if exp.valid else {})
    assert exp.sheets_in == sum(1 for *_, c in rows if c == "ppwp")
    assert exp.sheets_flagged == sum(1 for _, _, f, c in rows if c == "ppwp" and f)


@given(st.lists(st.floats(min_value=0, max_value=1e3, allow_nan=False), min_size=1))
def test_percentiles_are_observed_values_in_order(values: list[float]) -> None:
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    assert p50 in values and p99 in values
    assert min(values) <= p50 <= p99 <= max(values)


@pytest.mark.parametrize("field", ["error", "duplicate", "drop", "late", "correction", "forged"])
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_rates_outside_zero_one_are_refused(field: str, value: float) -> None:
    with pytest.raises(InputError):
        Rates(**{field: value})


def test_a_sample_of_whole_desa_completes_every_desa_but_the_last(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from saksi.election import Election, build_election
    from saksi.sim.run import select_tps

    directory = tmp_path_factory.mktemp("sample") / "election"
    build_election(directory, scale="kecamatan", seed=3).close()
    with Election.open(directory) as election:
        per_desa: dict[str, int] = {}
        for t in election.iter_tps():
            per_desa[t.code[:10]] = per_desa.get(t.code[:10], 0) + 1
    count = sum(sorted(per_desa.values())) // 2
    codes = select_tps(directory, count, 2024, whole_desa=True)
    assert len(codes) == len(set(codes)) == count
    drawn: dict[str, int] = {}
    for code in codes:
        drawn[code[:10]] = drawn.get(code[:10], 0) + 1
    partial = [d for d, n in drawn.items() if n < per_desa[d]]
    assert len(partial) <= 1
    assert select_tps(directory, count, 2024, whole_desa=True) == codes  # seeded
    single = select_tps(directory, count, 2024)
    assert len(single) == count and single != codes
