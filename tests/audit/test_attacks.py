"""Scripted attacks: each is caught, named precisely, and exits non-zero."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from audit_support import codes, entries_of, rebuild, verify

from saksi.audit.commands import register


def flip(path: Path, offset: int = 40) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_untouched_election_checks_clean(election: tuple[Path, str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert report["findings"] == []
    assert code == 0
    assert report["sheets"] > 100 and report["flagged"] > 0 and report["counted"] > 0


def test_without_a_vkey_the_signature_is_unchecked_and_that_is_a_failure(
        election: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    (election[0] / "log" / "vkey").unlink()  # a log that publishes no key at all
    code, report = verify(str(election[0]), capsys=capsys)
    assert code == 1 and codes(report) == {"LOG-VKEY-UNKNOWN"}


def test_the_published_vkey_is_used_when_none_is_given(
        election: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    assert (directory / "log" / "vkey").read_text().strip() == vkey
    code, report = verify(str(directory), capsys=capsys)
    assert code == 0 and report["findings"] == []


def test_a_byte_changed_in_a_tile(election: tuple[Path, str],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    flip(directory / "log/tile/0/000", 100)
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1
    [f] = report["findings"]
    assert f["code"] == "TILE-MISMATCH" and f["path"] == "tile/0/000" and f["index"] == 3


def test_a_byte_changed_in_an_entry_bundle(election: tuple[Path, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    flip(directory / "log/tile/entries/000", 500)
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1 and codes(report) == {"TILE-MISMATCH"}


def test_a_byte_changed_in_the_checkpoint(election: tuple[Path, str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    cp = directory / "log/checkpoint"
    text = cp.read_text().split("\n")
    text[1] = str(int(text[1]) - 1)
    cp.write_text("\n".join(text))
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1 and "CHECKPOINT-SIGNATURE" in codes(report)


def test_a_missing_tile_and_a_short_bundle(election: tuple[Path, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    size = int((directory / "log/checkpoint").read_text().split("\n")[1])
    partial = directory / f"log/tile/0/{size // 256:03d}.p/{size % 256}"
    partial.unlink()
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1 and codes(report) == {"TILE-MISSING"}
    bundle = directory / "log/tile/entries/000"
    bundle.write_bytes(bundle.read_bytes()[:-10])
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1 and "TILE-MALFORMED" in codes(report)


def test_a_sheet_signed_by_another_tps_key_in_a_rebuilt_log(
        election: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    from saksi.keys import envelope as env
    from saksi.keys.hierarchy import load_master
    from saksi.keys.simulation import device_key

    directory, vkey = election
    entries = entries_of(directory)
    victim = env.decode(entries[-1])
    sheet = json.loads(victim.payload)
    thief = "3273011001002" if sheet["tps"] != "3273011001002" else "3273011001003"
    forged = env.encode(env.sign(victim.payload_type, victim.payload,
                                 [device_key(load_master(directory, None), thief)]))
    rebuild(directory, [*entries, forged])
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 1
    [f] = report["findings"]
    assert f["code"] in {"KEY-WRONG-TPS", "KEY-UNKNOWN"}
    assert f["index"] == len(entries) and f["tps"] == sheet["tps"]


def test_a_rewritten_log_is_caught_against_a_saved_state(
        election: tuple[Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    state = tmp_path / "state"
    code, _ = verify(str(directory), "--log-vkey", vkey, "--save-state", str(state),
                     capsys=capsys)
    assert code == 0 and state.exists()
    entries = entries_of(directory)
    # drop one sheet from history and re-sign everything with the right key
    rebuild(directory, entries[:-3] + entries[-2:] + entries[-3:-2])
    code, report = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert code == 0  # on its own the rewritten log is consistent …
    code, report = verify(str(directory), "--log-vkey", vkey, "--since", str(state),
                          capsys=capsys)
    assert code == 1 and codes(report) == {"FORK"}  # … but not with what we saw before


def test_incremental_verification_checks_only_what_is_new(
        election: tuple[Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    state = tmp_path / "state"
    entries = entries_of(directory)
    rebuild(directory, entries[:300])
    code, _ = verify(str(directory), "--log-vkey", vkey, "--save-state", str(state),
                         capsys=capsys)
    assert code == 0
    rebuild(directory, entries)
    code, report = verify(str(directory), "--log-vkey", vkey, "--since", str(state),
                          "--save-state", str(state), capsys=capsys)
    assert code == 0, report["findings"]
    assert report["from_size"] == 300 and report["entries_checked"] == len(entries) - 300
    code, full = verify(str(directory), "--log-vkey", vkey, capsys=capsys)
    assert (report["current"], report["counted"]) == (full["current"], full["counted"])
    # a rewrite of the old part is not an extension of the saved state
    rebuild(directory, [entries[0], entries[2], entries[1], *entries[3:], entries[0][:-1]])
    code, report = verify(str(directory), "--log-vkey", vkey, "--since", str(state),
                          capsys=capsys)
    assert code == 1


class _Api(BaseHTTPRequestHandler):
    documents: dict[str, bytes]

    def do_GET(self) -> None:
        body = self.documents.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_api() -> Iterator[tuple[str, dict[str, bytes]]]:
    docs: dict[str, bytes] = {}
    handler = type("Handler", (_Api,), {"documents": docs})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", docs
    server.shutdown()
    server.server_close()


def test_a_total_changed_in_the_published_results(
        election: tuple[Path, str], stub_api: tuple[str, dict[str, bytes]],
        capsys: pytest.CaptureFixture[str]) -> None:
    from saksi.audit.compare import expected_region
    from saksi.audit.verify import Options, run

    directory, vkey = election
    outcome = run(Options(directory / "log", directory, str(directory), vkey=vkey))
    assert outcome.totals is not None and outcome.state is not None
    url, docs = stub_api
    for (contest, region), agg in outcome.totals.regions.items():
        exp = expected_region(agg, contest, region)
        doc = {"schema": "saksi/results/v1", "kind": "region",
               "as_of_index": outcome.state.trust.last_sheet, "progress": exp["progress"],
               "totals": exp["totals"],
               "choices": [{"number": n, "votes": v} for n, v in exp["choices"].items()]}
        if contest == "ppwp" and region == "3273011001":
            doc["choices"][1]["votes"] += 7  # type: ignore[index]
        docs[f"/api/v1/results/{region}?contest={contest}"] = json.dumps(doc).encode()
    code, report = verify(str(directory), "--log-vkey", vkey, "--api", url, capsys=capsys)
    assert code == 1
    [f] = [f for f in report["findings"] if f["code"] != "API-MISSING"]
    assert (f["code"], f["contest"], f["region"]) == ("TOTAL-MISMATCH", "ppwp", "3273011001")
    assert f["published"] == f["expected"] + 7
    assert report["api_documents"] == len(docs)
    # this stub publishes region documents only: every other document is missing
    missing = {f["path"] for f in report["findings"] if f["code"] == "API-MISSING"}
    assert "/api/v1/progress" in missing and "/api/v1/seats/dpr" in missing
    assert all(not p.startswith("/api/v1/results/") for p in missing)


@pytest.fixture
def static_server(election: tuple[Path, str]) -> Iterator[str]:
    """The election directory over real HTTP, as any static web server would publish it."""
    import functools
    from http.server import SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(election[0]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_mode_and_the_monitor_catch_a_rewrite(
        election: tuple[Path, str], static_server: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory, vkey = election
    code, report = verify(static_server, "--log-vkey", vkey, capsys=capsys)
    assert code == 0, report["findings"]
    assert report["size"] > 0 and report["sheets"] > 100

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    state = tmp_path / "monitor.state"
    args = parser.parse_args(["monitor", static_server, "--log-vkey", vkey, "--state",
                              str(state), "--max-polls", "1", "--interval", "0",
                              "--workers", "1"])
    assert args.handler(args) == 0
    entries = entries_of(directory)
    rebuild(directory, [*entries[:-2], entries[-1]])  # the log shrank and was rewritten
    args = parser.parse_args(["monitor", static_server, "--log-vkey", vkey, "--state",
                              str(state), "--max-polls", "1", "--interval", "0",
                              "--workers", "1", "--stall-after", "0.001"])
    assert args.handler(args) == 1
    alerts = [json.loads(line) for line in capsys.readouterr().err.splitlines()
              if line.startswith("{")]
    assert "LOG-SHRANK" in {a["alert"] for a in alerts}
