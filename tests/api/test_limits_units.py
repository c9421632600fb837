"""Who a client is and what it may send, without a server: the client address
behind trusted proxies, the submitter's key id, the per-key buckets, and the
worker configuration's round trip through the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import Kit
from hypothesis import given
from hypothesis import strategies as st

from saksi.api.app import ApiConfig
from saksi.api.limits import (
    AUTHORITY_SCALE,
    SignerLimits,
    TokenBuckets,
    bucket_key,
    client_address,
    parse_address,
    parse_networks,
    rate_limited,
    submitter,
)
from saksi.ingest.outcome import Item, Refusal
from saksi.ingest.precheck import leaf_hash
from saksi.keys import envelope as env
from saksi.keys.hierarchy import load_authority
from saksi.keys.ids import Role
from saksi.keys.simulation import device_key
from saksi.sheets.canonical import encode

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:cafe::/48"])


# ------------------------------------------------------------------ addresses
def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("192.0.2.1", ["203.0.113.9"], ()) == "192.0.2.1"


def test_a_peer_outside_the_trusted_networks_cannot_name_another_client() -> None:
    assert client_address("192.0.2.1", ["203.0.113.9"], PROXIES) == "192.0.2.1"
    assert client_address("192.0.2.1", ["10.0.0.1, 10.0.0.2"], PROXIES) == "192.0.2.1"


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() -> None:
    # The client forged the first two entries; the proxies appended the rest.
    header = "198.51.100.66, 6.6.6.6, 203.0.113.9, 10.1.1.1"
    assert client_address("10.2.2.2", [header], PROXIES) == "203.0.113.9"


def test_several_header_lines_read_as_one_list_in_order() -> None:
    assert client_address("10.2.2.2", ["6.6.6.6", "203.0.113.9, 10.1.1.1"],
                          PROXIES) == "203.0.113.9"


def test_a_trusted_peer_without_the_header_is_itself_the_client() -> None:
    assert client_address("10.2.2.2", [], PROXIES) == "10.2.2.2"


def test_when_every_hop_is_trusted_the_left_most_is_taken() -> None:
    assert client_address("10.2.2.2", ["10.0.0.7, 10.1.1.1"], PROXIES) == "10.0.0.7"


@pytest.mark.parametrize("header", ["6.6.6.6, garbage, 10.1.1.1", "6.6.6.6,, 10.1.1.1",
                                    "6.6.6.6, unknown, 10.1.1.1", "6.6.6.6, 999.1.1.1, 10.1.1.1"])
def test_a_malformed_entry_stops_at_the_nearest_trusted_hop(header: str) -> None:
    # Beyond the malformed entry nothing can be told from forgery: 6.6.6.6 is never used.
    assert client_address("10.2.2.2", [header], PROXIES) == "10.1.1.1"


def test_ports_brackets_and_mapped_addresses_are_read_as_proxies_write_them() -> None:
    assert client_address("10.2.2.2", ["203.0.113.9:51234"], PROXIES) == "203.0.113.9"
    assert client_address("10.2.2.2", ["[2001:DB8::1]:443"], PROXIES) == "2001:db8::1"
    assert client_address("::ffff:10.2.2.2", ["203.0.113.9"], PROXIES) == "203.0.113.9"
    assert client_address("2001:db8:cafe::5", ["2001:db8:1::7"], PROXIES) == "2001:db8:1::7"


@pytest.mark.parametrize("text", ["", " ", "unknown", "1.2.3", "01.2.3.4", "1.2.3.4:",
                                  "1.2.3.4:80x", "1.2.3.4:٣", "[2001:db8::1", "[2001:db8::1]x",
                                  "[2001:db8::1]:", "[1.2.3.4]:80:1", "2001:db8::g"])
def test_anything_else_is_not_an_address(text: str) -> None:
    assert parse_address(text) is None


def test_a_peer_that_is_not_an_ip_address_is_named_as_given() -> None:
    assert client_address(None, ["203.0.113.9"], PROXIES) == "-"
    assert client_address("/run/saksi.sock", ["203.0.113.9"], PROXIES) == "/run/saksi.sock"


@given(entries=st.lists(st.text(max_size=24), max_size=6))
def test_an_untrusted_peer_is_the_client_whatever_the_header_says(entries: list[str]) -> None:
    assert client_address("192.0.2.1", [",".join(entries)], PROXIES) == "192.0.2.1"


@given(entries=st.lists(st.text(max_size=24), max_size=6))
def test_the_client_is_never_an_entry_left_of_a_malformed_one(entries: list[str]) -> None:
    header = ",".join(entries)
    found = client_address("10.2.2.2", [header], PROXIES)
    parsed = [parse_address(e) for e in header.split(",")]
    bad = [i for i, ip in enumerate(parsed) if ip is None]
    if found != "10.2.2.2":
        at = max(i for i, ip in enumerate(parsed) if ip is not None and str(ip) == found)
        assert not bad or at > max(bad)


def test_ipv6_clients_share_a_bucket_per_slash_64_and_ipv4_per_address() -> None:
    assert bucket_key("2001:db8:1:2::1") == bucket_key("2001:db8:1:2:ffff::9")
    assert bucket_key("2001:db8:1:2::1") != bucket_key("2001:db8:1:3::1")
    assert bucket_key("203.0.113.9") == "203.0.113.9"
    assert bucket_key("-") == "-"


def test_trusted_proxies_are_networks_or_single_addresses() -> None:
    nets = parse_networks(["192.0.2.7", "10.1.2.3/8", " 2001:db8::/32 "])
    assert [str(n) for n in nets] == ["192.0.2.7/32", "10.0.0.0/8", "2001:db8::/32"]
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        parse_networks(["10.0.0.0/8", "10.0.0.0/33"])


def test_the_config_round_trips_through_the_environment(tmp_path: Path) -> None:
    config = ApiConfig(tmp_path, "sqlite:///x", tmp_path / "s", post_rate=7.0,
                       trusted_proxies=("10.0.0.0/8", "2001:db8::/32"), device_rate=0.5,
                       device_burst=12.0)
    assert ApiConfig.from_env(config.to_env()) == config
    bare = ApiConfig(tmp_path, "sqlite:///x", tmp_path / "s")
    assert ApiConfig.from_env(bare.to_env()) == bare


# ------------------------------------------------------------------ signers
def _item(raw: bytes, *, verified: bool = True, refused: bool = False) -> Item:
    leaf = leaf_hash(raw).hex()
    refusal = Refusal((), leaf) if refused else None
    return Item(b"" if refused else raw, leaf, refusal, verified)


def test_the_submitter_is_the_first_signature(kit: Kit) -> None:
    sheet = kit.sheet(kit.tps[0], "ppwp")
    device = device_key(kit.master, sheet.tps)
    ppk = load_authority(kit.directory, Role.KECAMATAN, sheet.tps[:6], None)
    both = env.encode(env.sign(env.TYPE_SHEET, encode(sheet), [device, ppk]))
    assert submitter(both) == env.decode(both).signatures[0].keyid
    assert submitter(both) != env.decode(both).signatures[1].keyid
    assert submitter(b"{}") is None


def test_a_key_over_its_budget_waits_and_others_do_not(kit: Kit) -> None:
    limits = SignerLimits(1.0, 3.0, lambda keyid: False)
    a = [_item(kit.device(kit.sheet(kit.tps[0], "ppwp", revision=r))) for r in range(1, 6)]
    b = [_item(raw) for raw in kit.tps_batch(kit.tps[1])[:3]]
    admission = limits.admit(a + b, now=0.0)
    assert admission.waits[:3] == [0.0, 0.0, 0.0]
    # The n-th held document waits for n tokens: resent together, both pass.
    assert admission.waits[3:5] == [1.0, 2.0]
    assert admission.waits[5:] == [0.0, 0.0, 0.0]
    assert admission.limited == [3, 4]


def test_refused_and_unverified_documents_cost_their_named_key_nothing(kit: Kit) -> None:
    limits = SignerLimits(1.0, 2.0, lambda keyid: False)
    sheet = kit.sheet(kit.tps[0], "ppwp")
    junk = [_item(kit.forged(sheet), refused=True), _item(kit.forged(sheet), verified=False)]
    assert limits.admit(junk * 5, now=0.0).waits == [0.0] * 10
    mine = [_item(raw) for raw in kit.tps_batch(kit.tps[0])[:2]]
    assert limits.admit(mine, now=0.0).waits == [0.0, 0.0]


def test_the_same_bytes_twice_in_a_request_cost_once(kit: Kit) -> None:
    limits = SignerLimits(1.0, 1.0, lambda keyid: False)
    raw = kit.tps_batch(kit.tps[0])[0]
    assert limits.admit([_item(raw), _item(raw)], now=0.0).waits == [0.0, 0.0]


def test_authority_keys_get_a_larger_budget(kit: Kit) -> None:
    ppk = [_item(kit.ppk(kit.sheet(t, "ppwp", revision=2, reason="koreksi")))
           for t in kit.tps[:10]]
    keyid = submitter(ppk[0].raw)
    limits = SignerLimits(1.0, 2.0, lambda k: k == keyid)
    assert AUTHORITY_SCALE * 2.0 >= 10
    assert limits.admit(ppk, now=0.0).waits == [0.0] * 10


def test_a_refund_gives_back_what_an_admission_took(kit: Kit) -> None:
    limits = SignerLimits(1.0, 5.0, lambda keyid: False)
    batch = [_item(raw) for raw in kit.tps_batch(kit.tps[0])]
    admission = limits.admit(batch, now=0.0)
    assert limits.admit(batch[:1], now=0.0).limited == [0]
    limits.refund(admission, now=0.0)
    assert limits.admit(batch, now=0.0).limited == []


def test_no_limit_when_the_rate_is_zero(kit: Kit) -> None:
    limits = SignerLimits(0.0, 0.0, lambda keyid: False)
    batch = [_item(raw) for raw in kit.tps_batch(kit.tps[0])] * 4
    assert limits.admit(batch, now=0.0).limited == []


def test_a_held_document_names_its_key_and_wait_in_both_languages(kit: Kit) -> None:
    item = _item(kit.tps_batch(kit.tps[0])[0])
    held = rate_limited(item, 2.2)
    [reason] = held.reasons
    assert held.retry_after == 3 and held.leaf_hash == item.leaf_hash
    assert reason.code == "RATE-LIMITED"
    assert reason.values == {"signatures": submitter(item.raw)}
    assert "3 detik" in reason.message_id and "3 s" in reason.message_en


def test_a_refund_never_lifts_a_bucket_over_its_burst() -> None:
    buckets = TokenBuckets(1.0, 2.0)
    assert buckets.take("k", now=0.0) == 0.0
    buckets.refund("k", 5.0, now=0.0)
    assert [buckets.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
