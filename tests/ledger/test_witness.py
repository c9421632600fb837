"""The tlog-witness server over real HTTP on 127.0.0.1, and the log publishing cosigned
checkpoints through it."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from saksi.errors import StateError
from saksi.ledger import Log, LogKey, merkle
from saksi.ledger.checkpoint import Checkpoint, open_checkpoint
from saksi.ledger.note import Note, Signer, Verifier
from saksi.ledger.witness import init_witness, load_witness, make_app, parse_add_checkpoint
from saksi.ledger.witness_client import build_request

ORIGIN = "saksi.example/witnessed"


@contextmanager
def serve(wdir: Path, vkeys: list[str], port: int = 0) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(make_app(wdir, vkeys), log_level="warning", lifespan="off")
    )
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "witness did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)
        sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def witness_dir(tmp_path: Path) -> tuple[Path, Signer]:
    wdir = tmp_path / "w"
    signer = init_witness(wdir, "witness.example/w1")
    return wdir, signer


def test_init_witness(witness_dir: tuple[Path, Signer]) -> None:
    wdir, signer = witness_dir
    assert stat.S_IMODE((wdir / "witness.key").stat().st_mode) == 0o600
    assert load_witness(wdir).vkey == signer.vkey
    assert Verifier.parse(signer.vkey).alg == 0x04
    with pytest.raises(StateError):
        init_witness(wdir, "again")


class Tree:
    """A log-shaped tree signed by a given key, for hand-made requests."""

    def __init__(self, key: Signer, entries: list[bytes]) -> None:
        self.key = key
        self.leaves = [merkle.leaf_hash(e) for e in entries]

    def signed(self, size: int) -> str:
        return Checkpoint(self.key.name, size, merkle.root_from_leaves(self.leaves[:size])).sign(
            self.key
        )

    def request(self, old: int, new: int, proof: list[bytes] | None = None) -> bytes:
        p = merkle.consistency_proof(self.leaves, old, new) if proof is None else proof
        return build_request(old, p, self.signed(new))


def test_add_checkpoint_protocol(witness_dir: tuple[Path, Signer], tmp_path: Path) -> None:
    wdir, wsigner = witness_dir
    log_key = Signer.generate(ORIGIN)
    tree = Tree(log_key, [b"e%d" % i for i in range(50)])
    fork = Tree(log_key, [b"e%d" % i for i in range(20)] + [b"f%d" % i for i in range(30)])
    with serve(wdir, [log_key.vkey]) as url, httpx.Client(base_url=url) as c:

        def post(body: bytes) -> httpx.Response:
            return c.post("/add-checkpoint", content=body)

        r = post(tree.request(0, 10))
        assert r.status_code == 200
        note = Note.parse(tree.signed(10) + r.text)
        assert note.verified_by([wsigner.verifier]) == [wsigner.verifier]
        assert r.text.startswith("— witness.example/w1 ")

        r = post(tree.request(0, 20))  # stale old size
        assert r.status_code == 409
        assert r.headers["content-type"] == "text/x.tlog.size"
        assert r.text == "10\n"

        assert post(tree.request(10, 30)).status_code == 200
        assert post(tree.request(30, 30)).status_code == 200  # same checkpoint again
        # A forked log: same key, different history.
        assert (
            post(fork.request(30, 40, merkle.consistency_proof(tree.leaves, 30, 40))).status_code
            == 422
        )
        assert post(fork.request(30, 30)).status_code == 409
        bad = [bytes(32)] * len(merkle.consistency_proof(tree.leaves, 30, 40))
        assert post(tree.request(30, 40, bad)).status_code == 422
        assert post(tree.request(0, 0, [])).status_code == 409
        assert post(tree.request(40, 35, [])).status_code == 400
        assert post(b"old 1x\n\n" + tree.signed(40).encode()).status_code == 400
        assert post(b"garbage").status_code == 400
        other = Tree(Signer.generate("some.other/log"), [b"x"])
        assert post(other.request(0, 1)).status_code == 404
        impostor = Tree(Signer.generate(ORIGIN), [b"e%d" % i for i in range(50)])
        assert post(impostor.request(30, 40)).status_code == 403
        assert c.get("/add-checkpoint").status_code == 405

    # State survives a restart.
    with serve(wdir, [log_key.vkey]) as url, httpx.Client(base_url=url) as c:
        r = c.post("/add-checkpoint", content=tree.request(0, 50))
        assert r.status_code == 409 and r.text == "30\n"
        assert c.post("/add-checkpoint", content=tree.request(30, 50)).status_code == 200


def test_concurrent_submissions_never_roll_back(witness_dir: tuple[Path, Signer]) -> None:
    wdir, _ = witness_dir
    log_key = Signer.generate(ORIGIN)
    tree = Tree(log_key, [b"e%d" % i for i in range(64)])
    codes: list[int] = []
    with serve(wdir, [log_key.vkey]) as url:

        def go(n: int) -> None:
            with httpx.Client(base_url=url) as c:
                codes.append(c.post("/add-checkpoint", content=tree.request(0, n)).status_code)

        threads = [threading.Thread(target=go, args=(n,)) for n in range(1, 33)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes.count(200) == 1 and codes.count(409) == 31


def test_parser_is_strict() -> None:
    log_key = Signer.generate(ORIGIN)
    tree = Tree(log_key, [b"a", b"b", b"c"])
    ok = tree.request(1, 3)
    assert parse_add_checkpoint(ok).old == 1
    for bad in [
        ok.replace(b"old 1", b"old 01"),
        ok.replace(b"old 1", b"old  1"),
        ok.replace(b"old 1\n", b"old 1\n\n", 1),
        build_request(1, [b"x" * 31], tree.signed(3)),
        build_request(1, [b"x" * 32] * 64, tree.signed(3)),
        b"\xff" + ok,
    ]:
        with pytest.raises(ValueError):
            parse_add_checkpoint(bad)


def _add_witness(d: Path, url: str, vkey: str) -> None:
    path = d / "ledger" / "witnesses.json"
    doc = {"version": 1, "witnesses": [{"url": url, "vkey": vkey, "size": 0}]}
    path.write_text(json.dumps(doc))


def test_log_publishes_cosigned_checkpoints(
    witness_dir: tuple[Path, Signer], tmp_path: Path
) -> None:
    wdir, wsigner = witness_dir
    d = tmp_path / "election"
    key = LogKey.generate()
    Log.create(d, origin=ORIGIN, key=key).close()
    with serve(wdir, [key.vkey(ORIGIN)]) as url:
        _add_witness(d, url, wsigner.vkey)
        with Log.open(d, batch_ms=0) as log:
            for k in range(4):
                log.append_many([b"x%d-%d" % (k, i) for i in range(100)])
                text = log.checkpoint_text()
                cp, note = open_checkpoint(text, Verifier.parse(log.vkey), ORIGIN)
                assert cp.size == 100 * (k + 1)
                assert note.verified_by([wsigner.verifier]) == [wsigner.verifier]
                assert (d / "log" / "checkpoint").read_text() == text
        # The log forgot the witness's size: the 409 answer teaches it back.
        _add_witness(d, url, wsigner.vkey)
        with Log.open(d, batch_ms=0) as log:
            log.append(b"one more")
            _, note = open_checkpoint(log.checkpoint_text(), Verifier.parse(log.vkey))
            assert note.verified_by([wsigner.verifier]) == [wsigner.verifier]


def test_witness_down_does_not_stop_the_log(
    witness_dir: tuple[Path, Signer], tmp_path: Path
) -> None:
    wdir, wsigner = witness_dir
    d = tmp_path / "election"
    key = LogKey.generate()
    Log.create(d, origin=ORIGIN, key=key).close()
    port = free_port()
    _add_witness(d, f"http://127.0.0.1:{port}", wsigner.vkey)
    with Log.open(d, batch_ms=0, witness_timeout=0.5, witness_backoff=0.0) as log:
        log.append_many([b"a", b"b"])
        _, note = open_checkpoint(log.checkpoint_text(), Verifier.parse(log.vkey))
        assert note.verified_by([wsigner.verifier]) == []  # published without the witness
        with serve(wdir, [key.vkey(ORIGIN)], port=port):
            log.append(b"c")  # catches up from 0 to 3
            _, note = open_checkpoint(log.checkpoint_text(), Verifier.parse(log.vkey))
            assert note.verified_by([wsigner.verifier]) == [wsigner.verifier]
