"""The HTTP contract: limits, content types, problem+json on every endpoint,
ETags and caching, the log's static files, proofs, downloads and OpenAPI."""

from __future__ import annotations

import base64
import csv
import io
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_support import Base, Kit, Server, post

from saksi.election.model import Contest
from saksi.ledger import merkle
from saksi.ledger.tiles import tile_path

PROBLEM_KEYS = {"type", "title", "title_id", "status", "detail", "detail_en"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, base: Base, kit: Kit,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    d = tmp_path_factory.mktemp("contract") / "e"
    shutil.copytree(base.directory, d)
    if request.param == "sqlite":
        url = f"sqlite:///{d / 'saksi.sqlite'}"
    else:
        from saksi.store.testing import fresh_database

        url = fresh_database(template=request.getfixturevalue("pg_template"))
    server = Server(d, url).start()
    tps = kit.tps[5]
    with server.client() as c:
        answers = post(c, kit.tps_batch(tps)).json()
    assert all(a["status"] == "accepted" for a in answers)
    yield server, {"tps": tps, "receipts": answers}
    server.stop()


@pytest.fixture
def client(live: tuple[Server, dict[str, Any]]) -> Iterator[httpx.Client]:
    with live[0].client() as c:
        yield c


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["detail"] and body["detail_en"] and body["detail"] != body["detail_en"]
    assert body["type"].startswith("/problems/")
    if field is not None:
        assert body["field"] == field
    return body


# ------------------------------------------------------------------ submissions
def test_wrong_content_type_is_415(client: httpx.Client, kit: Kit) -> None:
    r = client.post("/api/v1/sheets", content=kit.tps_batch(kit.tps[0])[0],
                    headers={"content-type": "text/plain"})
    assert_problem(r, 415, "Content-Type")


@pytest.mark.parametrize("body", [b"{not json", b"[1,", b"42", b"", b"[]", b"  "])
def test_malformed_bodies_are_400(client: httpx.Client, body: bytes) -> None:
    r = client.post("/api/v1/sheets", content=body, headers={"content-type": "application/json"})
    assert_problem(r, 400)


def test_a_huge_body_is_413_before_it_is_read(client: httpx.Client) -> None:
    r = client.post("/api/v1/sheets", content=b"[" + b" " * (1024 * 1024 + 10) + b"]",
                    headers={"content-type": "application/json"})
    assert_problem(r, 413, "body")


def test_more_than_ten_documents_is_413(client: httpx.Client, kit: Kit) -> None:
    raws = [r for t in kit.tps[:3] for r in kit.tps_batch(t)][:11]
    assert_problem(post(client, raws), 413, "documents")


def test_a_non_canonical_array_element_is_refused_not_rewritten(client: httpx.Client,
                                                                 kit: Kit) -> None:
    raw = kit.tps_batch(kit.tps[1])[0]
    spaced = raw.replace(b'":', b'": ', 1)
    r = client.post("/api/v1/sheets", content=b"[" + spaced + b"]",
                    headers={"content-type": "application/vnd.saksi.envelope+json"})
    [answer] = r.json()
    assert answer["status"] == "refused"
    assert answer["reasons"][0]["code"].startswith("ENVELOPE")


def test_resubmission_is_idempotent(live: tuple[Server, dict[str, Any]], client: httpx.Client,
                                    kit: Kit) -> None:
    again = post(client, kit.tps_batch(live[1]["tps"])).json()
    first = live[1]["receipts"]
    assert [(a["index"], a["leaf_hash"]) for a in again] == [
        (a["index"], a["leaf_hash"]) for a in first]
    assert all(a["duplicate"] for a in again)


# ------------------------------------------------------------------ reads
@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/results/9999", "region"),
    ("/api/v1/results/0?contest=senat", "contest"),
    ("/api/v1/dapil/dpr-99-1", "dapil"),
    ("/api/v1/tps/3273999999999", "tps"),
    ("/api/v1/tps/3273011001001/proof?index=0", "index"),
    ("/api/v1/tps/3273011001001/proof?index=x", "index"),
    ("/api/v1/seats/ppwp", "contest"),
    ("/api/v1/download/senat.csv", "contest"),
    ("/api/v1/download/ppwp.xml", "format"),
    ("/api/v1/download/ppwp.csv?level=planet", "level"),
    ("/log/tile/9/999", "path"),
    ("/log/%2e%2e/election.json", "path"),
    ("/api/v1/no/such/route", "path"),
    ("/api/v2/results/0", "path"),
])
def test_errors_are_bilingual_problems_naming_the_field(client: httpx.Client, path: str,
                                                         field: str | None) -> None:
    r = client.get(path)
    assert r.status_code in (400, 404)
    assert_problem(r, r.status_code, field)


def test_a_wrong_method_is_a_problem_too(client: httpx.Client) -> None:
    assert_problem(client.delete("/api/v1/progress"), 405, "method")


@pytest.mark.parametrize("path", [
    "/api/v1/results/0", "/api/v1/results/3273?contest=dpr", "/api/v1/progress",
    "/api/v1/seats/dpr", "/api/v1/checkpoint", "/log/checkpoint", "/openapi.json",
    "/api/v1/download/ppwp.json?level=kecamatan"])
def test_every_get_has_a_strong_etag_and_answers_304(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    etag = r.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert r.headers["cache-control"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""


def test_results_are_cacheable_by_a_cdn(client: httpx.Client) -> None:
    r = client.get("/api/v1/results/0")
    assert r.headers["cache-control"] == "public, max-age=2, stale-while-revalidate=30"
    assert client.get("/api/v1/checkpoint").headers["cache-control"] == "no-cache"


def test_tps_document_shows_sheets_signatures_and_receipts(
        live: tuple[Server, dict[str, Any]], client: httpx.Client) -> None:
    tps, receipts = live[1]["tps"], live[1]["receipts"]
    doc = client.get(f"/api/v1/tps/{tps}").json()
    assert {d["index"] for d in doc["documents"]} == {a["index"] for a in receipts}
    for d in doc["documents"]:
        assert d["envelope"]["signatures"]
        assert d["verdict"] == "clean" and d["received_at"]
    statuses = {c["contest"]: c["status"] for c in doc["contests"]}
    assert set(statuses.values()) == {"current"}


def test_a_tps_without_sheets_is_missing_not_unknown(client: httpx.Client, kit: Kit) -> None:
    doc = client.get(f"/api/v1/tps/{kit.tps[-1]}").json()
    assert {c["status"] for c in doc["contests"]} == {"missing"}


def test_proof_verifies_against_the_checkpoint(live: tuple[Server, dict[str, Any]],
                                               client: httpx.Client) -> None:
    receipt = live[1]["receipts"][0]
    r = client.get(receipt["proof"])
    assert r.status_code == 200
    head, _, checkpoint = r.text.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == f"index {receipt['index']}"
    proof = [base64.b64decode(h) for h in lines[2:]]
    _, size, root = checkpoint.split("\n")[:3]
    leaf = bytes.fromhex(receipt["leaf_hash"])
    assert merkle.verify_inclusion(receipt["index"], int(size), leaf, proof,
                                   base64.b64decode(root))


def test_log_static_files_and_their_cache_policy(client: httpx.Client) -> None:
    cp = client.get("/log/checkpoint")
    assert cp.headers["cache-control"] == "no-cache"
    assert cp.text == client.get("/api/v1/checkpoint").text
    full = client.get("/log/tile/0/000")
    assert full.status_code == 200 and len(full.content) == 256 * 32
    assert "immutable" in full.headers["cache-control"]
    size = int(cp.text.split("\n")[1])
    assert size % 256, "the fixture's log ends in a partial tile"
    partial = client.get("/log/" + tile_path(0, size // 256, size % 256))
    assert partial.status_code == 200
    assert "immutable" not in partial.headers["cache-control"]


def test_downloads_agree_with_the_api(live: tuple[Server, dict[str, Any]],
                                      client: httpx.Client) -> None:
    tps = live[1]["tps"]
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/download/ppwp.csv", params={"level": "kecamatan"}).text)))
    mine = [r for r in rows if tps.startswith(r["code"])]
    api = client.get(f"/api/v1/results/{tps[:6]}").json()
    assert {int(r["choice"]): int(r["votes"]) for r in mine} == {
        c["number"]: c["votes"] for c in api["choices"]}
    sheets = client.get("/api/v1/download/dpr.json", params={"level": "tps"}).json()
    assert [s["code"] for s in sheets] == [tps]


def test_openapi_documents_every_route(live: tuple[Server, dict[str, Any]],
                                       client: httpx.Client) -> None:
    from saksi.api.app import ApiConfig, build_app

    paths = client.get("/openapi.json").json()["paths"]
    server = live[0]
    app = build_app(ApiConfig(server.directory, server.db_url, server.directory / "x"))
    for route in app.routes:
        path = getattr(route, "path", "").replace("{path:path}", "{path}")
        methods = {m.lower() for m in getattr(route, "methods", set())} - {"head"}
        assert path in paths, path
        assert methods <= set(paths[path]), (path, methods)


def test_results_of_a_region_and_its_children(client: httpx.Client) -> None:
    doc = client.get("/api/v1/results/3273", params={"contest": str(Contest.DPR)}).json()
    assert doc["region"]["code"] == "3273"
    children = doc["children"]
    assert len(children) == 30
    assert sum(c["progress"]["sheets_in"] for c in children) == doc["progress"]["sheets_in"]
    dapil = doc["dapils"][0]["code"]
    d = client.get(f"/api/v1/dapil/{dapil}")
    assert d.status_code == 200 and d.json()["dapil"]["code"] == dapil
