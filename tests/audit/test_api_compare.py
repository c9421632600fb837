"""The published API against the log, over a real ``saksi serve``: region, dapil,
seats, progress and per-TPS documents (current version and history).

The election has flagged sheets, a second revision and PPK corrections. A
stub proxy in front of the real service serves tampered copies of single
documents; each tampering is reported with its path, place, expected and
published value."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from saksi.audit.commands import register
from saksi.sim.server import LocalServer

sys.path.insert(0, str(Path(__file__).parent))
from audit_support import build

Tamper = Callable[[str, dict[str, Any]], dict[str, Any] | None]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    directory = tmp_path_factory.mktemp("audit-api") / "election"
    vkey = build(directory, tps_limit=10, ppk=2)
    with LocalServer(directory, workers=1) as server:
        yield server.url, vkey, directory


@pytest.fixture
def proxy(served: tuple[str, str, Path]) -> Iterator[tuple[str, list[Tamper]]]:
    """A proxy to the real service; JSON documents pass through the tamper functions."""
    upstream = served[0]
    tampers: list[Tamper] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            r = httpx.get(upstream + self.path, timeout=30, trust_env=False)
            body, kind = r.content, r.headers.get("content-type", "application/octet-stream")
            if kind.startswith("application/json"):
                doc = r.json()
                for tamper in tampers:
                    doc = tamper(self.path, doc) or doc
                body = json.dumps(doc).encode()
            self.send_response(r.status_code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tampers
    finally:
        server.shutdown()
        server.server_close()


def verify(url: str, vkey: str, directory: Path,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["verify", url, "--log-vkey", vkey, "--election", str(directory),
                              "--json", "--workers", "2"])
    code = args.handler(args)
    return code, json.loads(capsys.readouterr().out)


def test_what_saksi_serve_publishes_checks_clean(served: tuple[str, str, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url, vkey, directory = served
    code, report = verify(url, vkey, directory, capsys)
    assert report["findings"] == [] and code == 0
    assert report["flagged"] >= 1 and report["sheets"] > report["current"]  # revisions
    # regions of five contests, progress, three seat documents, dapils and 10 TPS
    assert report["api_documents"] > 40


def first_party_with_candidates(doc: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in doc["parties"] if b["candidates"] and b["choice"]["votes"])


def test_a_tampered_dapil_document_is_reported_precisely(
        served: tuple[str, str, Path], proxy: tuple[str, list[Tamper]],
        capsys: pytest.CaptureFixture[str]) -> None:
    url, tampers = proxy
    dapils = httpx.get(served[0] + "/api/v1/seats/dprd-kabkota", trust_env=False).json()
    target = next(d["dapil"] for d in dapils["projection"]["dapils"] if d["votes"])
    changed: dict[str, Any] = {}

    def tamper(path: str, doc: dict[str, Any]) -> None:
        if path == f"/api/v1/dapil/{target}":
            block = first_party_with_candidates(doc)
            cand = block["candidates"][0]
            changed.update(party=block["choice"]["number"], number=cand["number"],
                           votes=cand["votes"])
            cand["votes"] += 5
    tampers.append(tamper)
    code, report = verify(url, served[1], served[2], capsys)
    assert code == 1
    [f] = report["findings"]
    assert f["code"] == "TOTAL-MISMATCH" and f["path"] == f"/api/v1/dapil/{target}"
    assert f["region"] == target and f["contest"] == "dprd-kabkota"
    assert f"candidate {changed['party']}.{changed['number']}" in f["message"]
    assert (f["expected"], f["published"]) == (changed["votes"], changed["votes"] + 5)


def test_a_tampered_seat_projection_is_reported_precisely(
        served: tuple[str, str, Path], proxy: tuple[str, list[Tamper]],
        capsys: pytest.CaptureFixture[str]) -> None:
    url, tampers = proxy

    def tamper(path: str, doc: dict[str, Any]) -> None:
        if path == "/api/v1/seats/dpr":
            national = doc["projection"]["national"]
            national[0][1] += 1  # one more seat for the first party, nationally
    tampers.append(tamper)
    code, report = verify(url, served[1], served[2], capsys)
    assert code == 1
    [f] = report["findings"]
    assert (f["code"], f["path"], f["contest"]) == ("TOTAL-MISMATCH", "/api/v1/seats/dpr", "dpr")
    assert "national" in f["message"]
    assert f["published"][0][1] == f["expected"][0][1] + 1


def test_a_rewritten_tps_history_is_reported_precisely(
        served: tuple[str, str, Path], proxy: tuple[str, list[Tamper]],
        capsys: pytest.CaptureFixture[str]) -> None:
    url, tampers = proxy
    seen: dict[str, Any] = {}

    def tamper(path: str, doc: dict[str, Any]) -> None:
        if not path.startswith("/api/v1/tps/") or seen:
            return
        for block in doc["contests"]:
            if len(block["history"]) > 1:  # a corrected or revised sheet
                seen.update(tps=doc["tps"]["code"], contest=block["contest"])
                # pretend the first version is still the current one
                block["history"][0]["status"], block["history"][-1]["status"] = (
                    "current", "superseded")
                block["current"] = block["history"][0]
                return
    tampers.append(tamper)
    code, report = verify(url, served[1], served[2], capsys)
    assert code == 1 and seen
    found = {(f["code"], f["tps"], f["contest"], f["message"].split(" ")[0])
             for f in report["findings"]}
    contest = seen["contest"]
    assert found == {("TOTAL-MISMATCH", seen["tps"], contest, f"{contest}.current"),
                     ("TOTAL-MISMATCH", seen["tps"], contest, f"{contest}.history")}
    assert all(f["path"] == f"/api/v1/tps/{seen['tps']}" for f in report["findings"])


def test_a_tampered_progress_figure_is_reported_precisely(
        served: tuple[str, str, Path], proxy: tuple[str, list[Tamper]],
        capsys: pytest.CaptureFixture[str]) -> None:
    url, tampers = proxy

    def tamper(path: str, doc: dict[str, Any]) -> None:
        if path == "/api/v1/progress":
            doc["national"]["ppwp"]["sheets_flagged"] += 2
    tampers.append(tamper)
    code, report = verify(url, served[1], served[2], capsys)
    assert code == 1
    [f] = report["findings"]
    assert (f["path"], f["contest"], f["region"]) == ("/api/v1/progress", "ppwp", "0")
    assert f["published"] == f["expected"] + 2 and "sheets_flagged" in f["message"]
