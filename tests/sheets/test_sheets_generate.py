"""The generator: realistic sheets that satisfy every rule, reproducibly."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sheets_strategies import polling_stations, sample_ballot, sample_tps

from saksi.election.model import Contest, Tps
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet, rng_for
from saksi.sheets.model import Sheet
from saksi.sheets.rules import Verdict, check_sheet, reserve
from saksi.sheets.shares import SHARE_DECIMALS, TICKET_SHARES

SIREKAP = (Path(__file__).resolve().parents[2].parent
           / "shared/data/kpu-2024/sirekap-ppwp-provinsi-2024-03-07.csv")


@settings(max_examples=300, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.integers(0, 2**64))
def test_every_generated_sheet_is_clean(tps: Tps, contest: Contest, seed: int) -> None:
    ballot = sample_ballot(contest, tps.code)
    result = check_sheet(generate_sheet(ballot, tps, seed), ballot, tps)
    assert result.verdict is Verdict.CLEAN, result.results


@settings(deadline=None)  # no timing: the test machine may be busy
@given(polling_stations(), st.sampled_from(list(Contest)), st.text(max_size=10))
def test_generation_is_deterministic_per_seed_tps_and_contest(
    tps: Tps, contest: Contest, seed: str
) -> None:
    ballot = sample_ballot(contest, tps.code)
    assert encode(generate_sheet(ballot, tps, seed)) == encode(generate_sheet(ballot, tps, seed))


def test_different_seeds_give_different_sheets() -> None:
    tps = sample_tps()
    ballot = sample_ballot(Contest.DPR, tps.code)
    assert len({encode(generate_sheet(ballot, tps, s)) for s in range(20)}) == 20


def test_rng_for_separates_its_parts() -> None:
    assert rng_for("1", "23").random() != rng_for("12", "3").random()


def _many(province: str, contest: Contest, n: int = 150) -> list[tuple[Tps, Sheet]]:
    out = []
    for i in range(n):
        tps = sample_tps(f"{province}71011{i:05d}01", dpt_l=120, dpt_p=125)
        out.append((tps, generate_sheet(sample_ballot(contest, tps.code), tps, i)))
    return out


def test_turnout_is_75_to_90_percent_at_home_and_lower_abroad() -> None:
    home = [s.voters.B1.J / t.dpt for t, s in _many("33", Contest.PPWP)]
    abroad = [s.voters.B1.J / t.dpt for t, s in _many("99", Contest.PPWP)]
    assert 0.75 <= sum(home) / len(home) <= 0.9
    assert all(0.6 < x < 0.97 for x in home)
    assert sum(abroad) / len(abroad) < 0.65


def test_ballots_received_are_the_dpt_plus_the_two_percent_reserve() -> None:
    for tps, sheet in _many("31", Contest.DPD, 30):
        assert sheet.ballots.received == tps.dpt + reserve(tps.dpt)


def test_extra_voters_invalid_votes_and_disabled_voters_are_a_few() -> None:
    sheets = [s for _, s in _many("32", Contest.PPWP)]
    b2 = sum(s.voters.B2.J + s.voters.B3.J for s in sheets) / len(sheets)
    invalid = sum(s.totals.B for s in sheets) / sum(s.totals.C for s in sheets)
    disabled = sum(s.disabled.J for s in sheets) / len(sheets)
    assert 0.5 < b2 < 10 and 0.01 < invalid < 0.05 and 0.1 < disabled < 4


def _ticket_share(province: str) -> list[float]:
    totals = Counter[int]()
    for _, s in _many(province, Contest.PPWP, 100):
        for t in s.votes.tickets:
            totals[t.number] += t.votes
    n = sum(totals.values())
    return [100 * totals[k] / n for k in (1, 2, 3)]


@pytest.mark.parametrize("province", ["11", "31", "51"])
def test_ticket_shares_follow_the_province(province: str) -> None:
    got = _ticket_share(province)
    for g, want in zip(got, TICKET_SHARES[province], strict=True):
        assert abs(g - want) < 4.0, (province, got)


def _party_totals(province: str, contest: Contest) -> Counter[int]:
    totals = Counter[int]()
    for _, s in _many(province, contest, 60):
        for p in s.votes.parties:
            totals[p.number] += p.total
    return totals


def test_aceh_local_parties_are_strong_in_aceh_dprd() -> None:
    totals = _party_totals("11", Contest.DPRD_PROV)
    top3 = [n for n, _ in totals.most_common(3)]
    assert 21 in top3  # Partai Aceh


def test_big_national_parties_lead_elsewhere() -> None:
    totals = _party_totals("33", Contest.DPR)
    top5 = {n for n, _ in totals.most_common(5)}
    assert len(top5 & {1, 2, 3, 4, 5, 8}) >= 4


def test_party_only_votes_are_a_sizeable_part_and_candidates_share_the_rest() -> None:
    own = total = 0
    spread = []
    for _, s in _many("35", Contest.DPR, 40):
        for p in s.votes.parties:
            own += p.party_votes
            total += p.total
            spread.append(sum(1 for c in p.candidates if c.votes))
    assert 0.15 < own / total < 0.5
    assert max(spread) >= 3


def test_dpd_votes_spread_over_candidates() -> None:
    totals = Counter[int]()
    for _, s in _many("73", Contest.DPD, 50):
        for c in s.votes.candidates:
            totals[c.number] += c.votes
    shares = sorted((v / sum(totals.values()) for v in totals.values()), reverse=True)
    assert len([x for x in shares if x > 0.01]) >= 8
    assert shares[0] < 0.5


def test_a_tps_with_an_empty_register_still_gives_a_clean_sheet() -> None:
    tps = sample_tps("3171011001001", 0, 0)
    for contest in Contest:
        ballot = sample_ballot(contest, tps.code)
        assert check_sheet(generate_sheet(ballot, tps, 0), ballot, tps).verdict is Verdict.CLEAN


def test_embedded_shares_cover_every_province_and_sum_to_100() -> None:
    assert len(TICKET_SHARES) == 39
    for shares in TICKET_SHARES.values():
        assert abs(sum(shares) - 100) <= 0.02


@pytest.mark.skipif(not SIREKAP.exists(), reason="KPU reference data not present")
def test_embedded_shares_match_the_sirekap_figures() -> None:
    with SIREKAP.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["kode"] for r in rows} == set(TICKET_SHARES)
    for r in rows:
        votes = [int(r[f"suara_0{i}"]) for i in (1, 2, 3)]
        want = tuple(round(100 * v / sum(votes), SHARE_DECIMALS) for v in votes)
        assert TICKET_SHARES[r["kode"]] == pytest.approx(want, abs=10**-SHARE_DECIMALS / 2 + 1e-9)
