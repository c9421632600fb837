"""The national built-in election against the 2024 facts."""

from __future__ import annotations

import pytest

from saksi.election import Election
from saksi.election.model import Contest

pytestmark = pytest.mark.slow


def test_national_totals_are_realistic(national: Election) -> None:
    c = national.manifest.counts
    assert 810_000 <= c["tps.domestic"] <= 830_000
    assert 2_500 <= c["tps.overseas"] <= 3_500
    assert c["dpt.total"] == 204_807_222
    assert c["dpt.max_tps"] <= 300
    assert c["regions.provinsi"] == 39 and c["regions.kabkota"] == 514 + 128


def test_seats_and_dapil_match_2024(national: Election) -> None:
    c = national.manifest.counts
    assert (c["dpr.dapil"], c["dpr.seats"]) == (84, 580)
    assert (c["dpd.dapil"], c["dpd.seats"], c["dpd.candidates"]) == (38, 152, 668)
    assert 2_250 <= c["dprd-prov.seats"] <= 2_500 and 280 <= c["dprd-prov.dapil"] <= 320
    assert 16_500 <= c["dprd-kabkota.seats"] <= 18_500
    assert 2_150 <= c["dprd-kabkota.dapil"] <= 2_500
    assert all(3 <= d.seats <= 10 for d in national.dapils(Contest.DPR))
    for contest in (Contest.DPRD_PROV, Contest.DPRD_KABKOTA):
        assert all(3 <= d.seats <= 12 for d in national.dapils(contest))
    per_province: dict[str, tuple[int, int]] = {}
    for d in national.dapils(Contest.DPR):
        n, s = per_province.get(d.code[4:6], (0, 0))
        per_province[d.code[4:6]] = (n + 1, s + d.seats)
    assert per_province["32"] == (11, 91)
    assert per_province["33"] == (10, 77)
    assert per_province["35"] == (11, 87)
    assert per_province["31"] == (3, 21)


def test_jakarta_has_no_kabkota_council_and_hosts_overseas_votes(national: Election) -> None:
    jakarta = national.tps_in("3171")[0].code
    assert Contest.DPRD_KABKOTA not in national.contests_at(jakarta)
    assert not any(d.code.startswith("dprd-kabkota-31")
                   for d in national.dapils(Contest.DPRD_KABKOTA))
    abroad = national.tps_in("99")[0].code
    assert national.contests_at(abroad) == (Contest.PPWP, Contest.DPR, Contest.DPD)
    dpr = national.dapil_of(abroad, Contest.DPR)
    assert dpr is not None and dpr.name == "DKI JAKARTA II"
    dpd = national.dapil_of(abroad, Contest.DPD)
    assert dpd is not None and dpd.code == "dpd-31"


def test_aceh_local_parties_only_in_aceh_dprd(national: Election) -> None:
    aceh = national.tps_in("1101")[0].code
    for contest in (Contest.DPRD_PROV, Contest.DPRD_KABKOTA):
        assert {18, 19, 20, 21, 22, 23} <= {pl.party.number for pl in
                                            national.ballot(aceh, contest).parties}
    assert not any(pl.party.local for pl in national.ballot(aceh, Contest.DPR).parties)
    medan = national.tps_in("1275")[0].code
    for contest in (Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA):
        assert not any(pl.party.local for pl in national.ballot(medan, contest).parties)


def test_a_tps_has_the_same_register_at_any_scale(national: Election,
                                                  bandung: Election) -> None:
    sub = list(bandung.iter_tps())
    assert sub == national.tps_in("3273")
    code = sub[0].code
    for contest in bandung.contests_at(code):
        assert bandung.ballot(code, contest) == national.ballot(code, contest)


def test_ballot_for_a_contest_not_held_is_not_found(national: Election) -> None:
    from saksi.errors import NotFoundError

    abroad = national.tps_in("99")[0].code
    with pytest.raises(NotFoundError) as missing:
        national.ballot(abroad, Contest.DPRD_PROV)
    assert missing.value.field == "contest"
