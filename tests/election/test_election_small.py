"""Small built-in elections: API contract, determinism, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saksi.election import Election, build_election
from saksi.election.commands import register
from saksi.election.model import Contest, Level
from saksi.errors import InputError, NotFoundError, StateError


def test_open_missing_directory_is_a_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError):
        Election.open(tmp_path / "nothing")


def test_index_without_manifest_counts_as_incomplete(tmp_path: Path) -> None:
    build_election(tmp_path, scale="kecamatan").close()
    (tmp_path / "election.json").unlink()
    with pytest.raises(StateError):
        Election.open(tmp_path)


def test_same_seed_same_hash_other_seed_other_dpt(tmp_path: Path) -> None:
    a = build_election(tmp_path / "a", scale="kecamatan", seed=7)
    b = build_election(tmp_path / "b", scale="kecamatan", seed=7)
    c = build_election(tmp_path / "c", scale="kecamatan", seed=8)
    assert a.manifest.index_sha256 == b.manifest.index_sha256
    assert a.manifest.index_sha256 != c.manifest.index_sha256
    assert [t.dpt_l for t in a.iter_tps()] != [t.dpt_l for t in c.iter_tps()]


def test_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    build_election(tmp_path, scale="kecamatan").close()
    with pytest.raises(StateError):
        build_election(tmp_path, scale="kecamatan")
    build_election(tmp_path, scale="kecamatan", seed=1, force=True).close()
    assert Election.open(tmp_path).manifest.seed == 1


def test_region_must_match_scale_and_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError) as wrong_level:
        build_election(tmp_path, scale="kabkota", region="32")
    assert wrong_level.value.field == "region"
    with pytest.raises(NotFoundError):
        build_election(tmp_path, scale="kabkota", region="3299")
    with pytest.raises(InputError):
        build_election(tmp_path, scale="planet")


def test_unknown_tps_names_the_field(bandung: Election) -> None:
    with pytest.raises(NotFoundError) as missing:
        bandung.tps("3273011001999")
    assert missing.value.field == "tps"
    with pytest.raises(InputError) as malformed:
        bandung.tps("12")
    assert malformed.value.field == "tps"


def test_tree_is_well_formed_and_parented(bandung: Election) -> None:
    city = bandung.region("3273")
    assert city.level is Level.KABKOTA and city.parent == "32"
    assert bandung.region("32").parent == "0"
    assert [r.code for r in bandung.children("0")] == ["32"]
    for district in bandung.children("3273"):
        assert district.parent == "3273" and len(district.code) == 6
        for village in bandung.children(district.code):
            assert village.parent == district.code and village.code.startswith(district.code)
            assert bandung.children(village.code) == []
    assert bandung.manifest.counts["regions.kecamatan"] == len(bandung.children("3273"))


def test_every_tps_has_a_capped_register_split_by_sex(bandung: Election) -> None:
    tps = list(bandung.iter_tps())
    assert len(tps) == bandung.manifest.counts["tps.total"]
    assert [t.code for t in tps] == sorted(t.code for t in tps)
    assert all(0 < t.dpt <= 300 and t.dpt_l > 0 and t.dpt_p > 0 for t in tps)
    assert sum(t.dpt for t in tps) == bandung.manifest.counts["dpt.total"]
    assert 0.45 < sum(t.dpt_l for t in tps) / sum(t.dpt for t in tps) < 0.55
    assert bandung.tps_in("327301") == [t for t in tps if t.code.startswith("327301")]


def test_ballots_of_a_bandung_tps(bandung: Election) -> None:
    code = next(bandung.iter_tps()).code
    assert bandung.contests_at(code) == tuple(Contest)
    ppwp = bandung.ballot(code, Contest.PPWP)
    assert [t.number for t in ppwp.tickets] == [1, 2, 3] and ppwp.dapil is None
    dpr = bandung.ballot(code, Contest.DPR)
    assert dpr.dapil is not None and dpr.dapil.name.startswith("JAWA BARAT ")
    numbers = [pl.party.number for pl in dpr.parties]
    assert numbers == sorted(numbers) and not any(pl.party.local for pl in dpr.parties)
    for plist in dpr.parties:
        assert 1 <= len(plist.candidates) <= dpr.dapil.seats
        assert [c.number for c in plist.candidates] == list(range(1, len(plist.candidates) + 1))
        women = sum(c.sex == "P" for c in plist.candidates)
        assert women * 10 >= 3 * len(plist.candidates)
    dpd = bandung.ballot(code, Contest.DPD)
    assert dpd.dapil is not None and dpd.dapil.seats == 4
    assert 4 <= len(dpd.candidates) <= 30 and all(c.party is None for c in dpd.candidates)
    local = bandung.dapil_of(code, Contest.DPRD_KABKOTA)
    assert local is not None and local.code.startswith("dprd-kabkota-3273-")
    assert 3 <= local.seats <= 12


def test_summary_command_prints_json(bandung: Election, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["election", "summary", str(bandung.directory), "--json"])
    assert args.handler(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads(json.dumps(bandung.summary()))
    assert data["tps"]["total"] == bandung.manifest.counts["tps.total"]
