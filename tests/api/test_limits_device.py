"""Limits over real HTTP: many TPS behind one address, a device over its own
budget, junk under a victim's key id, and client addresses behind a trusted
proxy (``saksi serve`` on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from api_support import Kit, Server, post

from saksi.ingest.precheck import leaf_hash
from saksi.keys import envelope as env

PROBLEM_KEYS = {"type", "title", "title_id", "status", "detail", "detail_en"}


def problem(r: httpx.Response, status: int, field: str) -> dict[str, Any]:
    """The body of a bilingual RFC 9457 problem, checked."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert body["detail"] and body["detail_en"] and body["detail"] != body["detail_en"]
    assert body["field"] == field
    return body


def keyid_of(raw: bytes) -> str:
    return env.decode(raw).signatures[0].keyid


def log_size(c: httpx.Client) -> int:
    return int(c.get("/api/v1/checkpoint").text.split("\n")[1])


def revisions(kit: Kit, tps: str, upto: int) -> list[bytes]:
    return [kit.device(kit.sheet(tps, "ppwp", revision=r, seed=r)) for r in range(1, upto + 1)]


# ------------------------------------------------------------------ devices
def test_many_tps_behind_one_address_all_get_their_sheets_in(server: Server,
                                                              kit: Kit) -> None:
    # Default limits. 120 TPS behind one carrier-grade NAT address send at
    # once: more requests than the old per-address burst (60) let through.
    codes = kit.tps[1000:1120]
    statuses: list[int] = []
    accepted: list[str] = []
    lock = threading.Lock()

    def send(chunk: list[str]) -> None:
        with server.client() as c:
            for tps in chunk:
                r = post(c, kit.tps_batch(tps))
                with lock:
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        accepted.extend(a["tps"] for a in r.json() if a["status"] == "accepted")

    threads = [threading.Thread(target=send, args=(codes[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == [200] * len(codes)
    assert len(accepted) == sum(len(kit.contests(t)) for t in codes)


# One token every 10 s: the five-document burst and the checks after it must
# all fall inside one refill, even on a slow, shared CI machine (at 0.5/s a
# 2 s stall there once refilled a token and let the sixth revision in).
@pytest.mark.serve_args("--device-rate", "0.1", "--device-burst", "5")
def test_a_flooding_device_is_held_back_and_its_neighbours_are_not(server: Server,
                                                                   kit: Kit) -> None:
    flooder, neighbour, third = kit.tps[200], kit.tps[201], kit.tps[202]
    flood = revisions(kit, flooder, 7)
    with server.client() as c:
        receipts = [post(c, [raw]).json()[0] for raw in flood[:5]]  # its whole burst
        assert [a["status"] for a in receipts] == ["accepted"] * 5
        size = log_size(c)

        # Over budget, alone in its request: 429, problem+json, nothing logged.
        r = post(c, [flood[5]])
        body = problem(r, 429, "signatures")
        assert body["type"] == "/problems/rate-limited"
        assert body["value"] == keyid_of(flood[5])
        assert int(r.headers["retry-after"]) >= 1
        [held] = body["documents"]
        assert held["status"] == "rate-limited"
        assert held["leaf_hash"] == leaf_hash(flood[5]).hex()
        assert held["retry_after"] == int(r.headers["retry-after"])
        [reason] = held["reasons"]
        assert reason["code"] == "RATE-LIMITED"
        assert reason["message_id"] != reason["message_en"]
        assert "detik" in reason["message_id"] and " s" in reason["message_en"]
        assert log_size(c) == size

        # The TPS beside it, from the same address, at the same moment.
        answers = post(c, kit.tps_batch(neighbour))
        assert answers.status_code == 200
        assert {a["status"] for a in answers.json()} == {"accepted"}

        # Mixed in one request: the other TPS's sheet goes in, the flooder's
        # is held back, and the request as a whole is answered 200.
        mixed = post(c, [flood[5], kit.tps_batch(third)[0]])
        assert mixed.status_code == 200
        assert [a["status"] for a in mixed.json()] == ["rate-limited", "accepted"]

        # What the log already holds still gets its receipt when over budget.
        again = post(c, [flood[0]])
        assert again.status_code == 200
        [dup] = again.json()
        assert dup["status"] == "accepted" and dup["duplicate"]
        assert dup["proof"].startswith(f"/api/v1/tps/{flooder}/proof")

        current = c.get(f"/api/v1/tps/{flooder}").json()
        [ppwp] = [x for x in current["contests"] if x["contest"] == "ppwp"]
        assert ppwp["current"]["index"] == receipts[4]["index"]

        # After Retry-After the device's next revision is taken.
        time.sleep(int(r.headers["retry-after"]))
        [late] = post(c, [flood[5]]).json()
        assert late["status"] == "accepted"


@pytest.mark.serve_args("--device-rate", "0.01", "--device-burst", "5")
def test_junk_under_a_victims_key_id_does_not_spend_the_victims_budget(server: Server,
                                                                      kit: Kit) -> None:
    victim = kit.tps[300]
    sheets = [kit.sheet(victim, c) for c in kit.contests(victim)]
    junk = [kit.forged(s) for s in sheets] * 2  # valid sheets, forged signatures
    assert {keyid_of(j) for j in junk} == {keyid_of(kit.tps_batch(victim)[0])}
    with server.client() as c:
        for _ in range(4):
            r = post(c, junk)
            assert r.status_code == 200
            assert {a["reasons"][0]["code"] for a in r.json()} == {"SIG-INVALID"}
        answers = post(c, kit.tps_batch(victim))
        assert answers.status_code == 200
        assert {a["status"] for a in answers.json()} == {"accepted"}


@pytest.mark.serve_args("--device-rate", "0.01", "--device-burst", "5")
def test_a_ppk_correcting_its_kecamatan_is_not_held_to_one_devices_budget(
        server: Server, kit: Kit) -> None:
    codes = [t for t in kit.tps if t[:6] == kit.tps[0][:6]][:12]
    with server.client() as c:
        for tps in codes:
            assert post(c, [kit.tps_batch(tps)[0]]).status_code == 200
        fixes = [kit.ppk(kit.sheet(t, kit.contests(t)[0], revision=2, seed=9,
                                   reason="dikoreksi PPK / corrected by the PPK"))
                 for t in codes]
        answers = post(c, fixes[:10]).json() + post(c, fixes[10:]).json()
    assert [a["status"] for a in answers] == ["accepted"] * len(codes)


@pytest.mark.serve_args("--queue", "3", "--device-rate", "0.01", "--device-burst", "5")
def test_a_device_does_not_pay_for_the_sequencers_full_queue(server: Server,
                                                            kit: Kit) -> None:
    batch = kit.tps_batch(kit.tps[400])  # 5 documents > a queue of 3: 503 every time
    with server.client() as c:
        for _ in range(3):
            assert post(c, batch).status_code == 503
        answers = post(c, batch[:3])
        assert answers.status_code == 200
        assert [a["status"] for a in answers.json()] == ["accepted"] * 3


def test_openapi_describes_the_rate_limited_outcome(server: Server) -> None:
    with server.client() as c:
        spec = c.get("/openapi.json").json()
    answers = spec["paths"]["/api/v1/sheets"]["post"]["responses"]
    item = answers["200"]["content"]["application/json"]["schema"]["items"]
    assert "rate-limited" in item["properties"]["status"]["enum"]
    assert "retry_after" in item["properties"]
    limited = answers["429"]["content"]["application/problem+json"]["schema"]
    assert limited["properties"]["documents"]["items"] == item


# ------------------------------------------------------------------ addresses
@pytest.mark.serve_args("--post-rate", "0.01", "--post-burst", "2")
def test_forwarded_for_from_an_untrusted_peer_is_ignored(server: Server) -> None:
    with server.client() as c:
        codes = [c.post("/api/v1/sheets", content=b"[]",
                        headers={"content-type": "application/json",
                                 "x-forwarded-for": f"203.0.113.{n}"}).status_code
                 for n in range(3)]
        assert codes[:2] == [400, 400]  # let through (and refused: an empty batch)
        r = c.post("/api/v1/sheets", content=b"[]",
                   headers={"content-type": "application/json",
                            "x-forwarded-for": "198.51.100.1"})
        assert problem(r, 429, "client")["value"] == "127.0.0.1"


@pytest.mark.serve_args("--post-rate", "0.01", "--post-burst", "2",
                        "--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", "10.0.0.0/8")
def test_behind_a_trusted_proxy_the_forwarded_client_has_its_own_budget(
        server: Server) -> None:
    def send(c: httpx.Client, forwarded: str | None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if forwarded is not None:
            headers["x-forwarded-for"] = forwarded
        return c.post("/api/v1/sheets", content=b"[]", headers=headers)

    proxy = server.client()
    other = server.client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    try:
        # The client forged 6.6.6.6; the proxies appended 203.0.113.7 and 10.0.0.3.
        chain = "6.6.6.6, 203.0.113.7, 10.0.0.3"
        assert [send(proxy, chain).status_code for _ in range(2)] == [400, 400]
        assert problem(send(proxy, chain), 429, "client")["value"] == "203.0.113.7"
        # A different client behind the same proxy is not held back …
        assert send(proxy, "203.0.113.8").status_code == 400
        # … nor does forging the left-most entry give the first client a new budget.
        r = send(proxy, "6.6.6.7, 203.0.113.7")
        assert problem(r, 429, "client")["value"] == "203.0.113.7"
        # A peer that is not a trusted proxy is its own client whatever it claims.
        assert [send(other, f"203.0.113.{n}").status_code for n in (20, 21)] == [400, 400]
        assert problem(send(other, "203.0.113.22"), 429, "client")["value"] == "127.0.0.2"
    finally:
        proxy.close()
        other.close()
