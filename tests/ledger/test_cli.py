"""``saksi log …`` and ``saksi witness …`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from saksi.cli import main
from saksi.ledger import Log, merkle
from saksi.ledger.checkpoint import TlogProof
from saksi.ledger.note import Verifier, b64decode_strict


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_log_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "e"
    code, out, _ = run(capsys, "log", "init", str(d), "--origin", "saksi.example/cli")
    assert code == 0
    vkey = out.strip()
    assert Verifier.parse(vkey).name == "saksi.example/cli"
    assert run(capsys, "log", "vkey", str(d))[1].strip() == vkey
    data = [b"a", b"b", b"c", b"d", b"e"]
    with Log.open(d, batch_ms=0) as log:
        log.append_many(data[:2])
        log.append_many(data[2:])
    code, out, _ = run(capsys, "log", "proof", str(d), "--index", "3")
    assert code == 0
    assert TlogProof.parse(out).verify(b"d", Verifier.parse(vkey)).size == 5
    code, out, _ = run(capsys, "log", "proof", str(d), "--index", "1", "--size", "2")
    assert TlogProof.parse(out).verify(b"b", Verifier.parse(vkey)).size == 2
    code, out, _ = run(capsys, "log", "consistency", str(d), "--old", "2")
    leaves = [merkle.leaf_hash(e) for e in data]
    assert [b64decode_strict(x) for x in out.split()] == merkle.consistency_proof(leaves, 2)
    code, out, _ = run(capsys, "log", "verify", str(d))
    assert code == 0 and '"size": 5' in out


def test_bad_input_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "log", "vkey", str(tmp_path / "nothing"))
    assert code == 2 and "saksi:" in err and "Traceback" not in err
    d = tmp_path / "e"
    run(capsys, "log", "init", str(d), "--origin", "o.example/x")
    code, _, err = run(capsys, "log", "proof", str(d), "--index", "0")
    assert code == 2 and "index" in err
    code, _, err = run(capsys, "log", "witnesses", str(d), "--add", "ftp://x", "nokey")
    assert code == 2
    code, _, err = run(capsys, "log", "init", str(d), "--origin", "o.example/x")
    assert code == 2


def test_witness_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "witness", "init", str(tmp_path / "w"), "--name", "w.example/1")
    assert code == 0
    wkey = out.strip()
    assert Verifier.parse(wkey).alg == 0x04
    d = tmp_path / "e"
    run(capsys, "log", "init", str(d), "--origin", "o.example/x")
    assert run(capsys, "log", "witnesses", str(d), "--add", "http://127.0.0.1:9", wkey)[0] == 0
    code, out, _ = run(capsys, "log", "witnesses", str(d), "--list")
    assert out == f"http://127.0.0.1:9 {wkey} 0\n"
    code, _, _ = run(capsys, "log", "witnesses", str(d), "--add", "http://127.0.0.1:9", wkey)
    assert code == 2
    assert run(capsys, "log", "witnesses", str(d), "--remove", "http://127.0.0.1:9")[0] == 0
    assert run(capsys, "log", "witnesses", str(d), "--list")[1] == ""
