"""Failure on election night: the server is killed mid-run, a client floods it,
the sequencer's queue fills. No receipt is ever lost; other clients carry on."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import msgspec
import pytest
from api_support import Kit, Server, post

from saksi.ledger import Log


def test_sigkill_mid_run_loses_no_receipt(election_dir: Path, db_url: str, kit: Kit) -> None:
    # Aggregates re-rendered at most every 500 ms: a kill leaves some out of date.
    server = Server(election_dir, db_url, ["--workers", "2", "--cache-seconds", "0.5"]).start()
    receipts: list[dict[str, object]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client_loop(tps_codes: list[str]) -> None:
        with server.client(timeout=10) as c:
            for tps in tps_codes:
                if stop.is_set():
                    return
                try:
                    r = post(c, kit.tps_batch(tps))
                except httpx.HTTPError:
                    return  # the server died under us: no receipt, nothing promised
                if r.status_code == 200:
                    with lock:
                        receipts.extend(a for a in r.json() if a["status"] == "accepted")

    chunks = [kit.tps[100 + 40 * i:140 + 40 * i] for i in range(4)]
    threads = [threading.Thread(target=client_loop, args=(ch,)) for ch in chunks]
    for t in threads:
        t.start()
    while True:  # kill it once a fair number of receipts were handed out
        with lock:
            if len(receipts) >= 60:
                break
        if not any(t.is_alive() for t in threads):
            break
        threading.Event().wait(0.02)
    server.kill()
    stop.set()
    for t in threads:
        t.join(30)
    assert len(receipts) >= 60

    # Every receipt a client holds names its exact bytes in the log.
    with Log.open(election_dir) as log:
        for a in receipts:
            index = a["index"]
            assert isinstance(index, int) and index < log.size
            assert log.leaf_hash(index).hex() == a["leaf_hash"]

    restarted = Server(election_dir, db_url).start()
    try:
        with restarted.client() as c:
            progress = c.get("/api/v1/results/0").json()["progress"]
            ppwp = [a for a in receipts if a["contest"] == "ppwp"]
            # Every ppwp receipt's TPS is counted (first versions, all clean).
            assert progress["sheets_in"] >= len({a["tps"] for a in ppwp})
            for a in ppwp[:10]:
                doc = c.get(f"/api/v1/tps/{a['tps']}").json()
                assert a["index"] in {d["index"] for d in doc["documents"]}
            # And the totals are exactly what the log holds.
            size = int(c.get("/api/v1/checkpoint").text.split("\n")[1])
            tps_in_log = _ppwp_tps_in_log(election_dir, size)
            assert progress["sheets_in"] == len(tps_in_log)
            # Clients resend after the crash: idempotent, nothing counted twice.
            again = post(c, kit.tps_batch(str(ppwp[0]["tps"]))).json()
            assert all(x["duplicate"] for x in again if x["contest"] == "ppwp")
            assert c.get("/api/v1/results/0").json()["progress"] == progress
    finally:
        restarted.stop()


def _ppwp_tps_in_log(directory: Path, size: int) -> set[str]:
    from saksi.keys import envelope as env
    from saksi.ledger.tiles import TileReader

    found: set[str] = set()
    tiles = TileReader.for_dir(directory / "log")  # read-only: the server holds the log
    for i in range(size):
        e = env.decode(tiles.entry(i, size))
        if e.payload_type == env.TYPE_SHEET:
            sheet = msgspec.json.decode(e.payload)
            if sheet["contest"] == "ppwp":
                found.add(sheet["tps"])
    return found


# A token every 10 s, so that a slow CI machine cannot refill one mid-test.
@pytest.mark.serve_args("--post-rate", "0.1", "--post-burst", "3")
def test_a_flooding_client_is_slowed_and_others_are_not(server: Server, kit: Kit) -> None:
    flooder = server.client()
    other = server.client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    try:
        codes = [post(flooder, kit.tps_batch(kit.tps[300])).status_code for _ in range(8)]
        assert codes[:3] == [200, 200, 200]
        assert 429 in codes
        r = post(flooder, kit.tps_batch(kit.tps[300]))
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["field"] == "client"
        answers = post(other, kit.tps_batch(kit.tps[301]))
        assert answers.status_code == 200
        assert {a["status"] for a in answers.json()} == {"accepted"}
        assert other.get("/api/v1/progress").status_code == 200  # reads are not limited
    finally:
        flooder.close()
        other.close()


@pytest.mark.serve_args("--queue", "3")
def test_a_full_sequencer_queue_answers_503_at_once(server: Server, kit: Kit) -> None:
    with server.client() as c:
        r = post(c, kit.tps_batch(kit.tps[400]))  # 5 documents > a queue of 3
        assert r.status_code == 503
        assert r.headers["retry-after"]
        assert r.json()["type"] == "/problems/sequencer-unavailable"
        [one] = post(c, kit.tps_batch(kit.tps[400])[:1]).json()
        assert one["status"] == "accepted"


@pytest.mark.serve_args("--cache-seconds", "0.3")
def test_totals_follow_within_the_worker_cache(server: Server, kit: Kit) -> None:
    with server.client() as c:
        before = c.get("/api/v1/results/0").json()["progress"]["sheets_in"]
        [a] = post(c, kit.tps_batch(kit.tps[500])[:1]).json()
        assert a["status"] == "accepted"
        # The TPS page shows the receipt; the totals follow within the cache time.
        assert a["index"] in {d["index"] for d in
                              c.get(f"/api/v1/tps/{kit.tps[500]}").json()["documents"]}
        for _ in range(100):
            if c.get("/api/v1/results/0").json()["progress"]["sheets_in"] == before + 1:
                break
            threading.Event().wait(0.05)
        assert c.get("/api/v1/results/0").json()["progress"]["sheets_in"] == before + 1
