"""The log: appends, reads from tiles, proofs, reopening, and full tile verification."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.errors import InputError, StateError
from saksi.ledger import Log, LogKey, TileVerificationError, merkle, verify_tile_set, verify_tiles
from saksi.ledger.checkpoint import Checkpoint, TlogProof, open_checkpoint
from saksi.ledger.note import Verifier
from saksi.ledger.verify import needed_files

ORIGIN = "saksi.example/test-log"


def entries(n: int, tag: str = "e") -> list[bytes]:
    return [f"{tag}-{i}".encode() * (1 + i % 3) for i in range(n)]


def make(tmp_path: Path, n: int = 0, chunk: int = 97) -> tuple[Log, list[bytes]]:
    log = Log.create(tmp_path, origin=ORIGIN)
    log.close()
    log = Log.open(tmp_path, batch_ms=0)
    data = entries(n)
    for i in range(0, n, chunk):
        log.append_many(data[i : i + chunk])
    return log, data


def test_create_layout_and_key_permissions(tmp_path: Path) -> None:
    with Log.create(tmp_path, origin=ORIGIN) as log:
        assert log.size == 0 and log.origin == ORIGIN
        v = Verifier.parse(log.vkey)
        cp, _ = open_checkpoint(log.checkpoint_text(), v, ORIGIN)
        assert cp == Checkpoint(ORIGIN, 0, merkle.EMPTY_ROOT)
    key = tmp_path / "ledger" / "log.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert (tmp_path / "log" / "checkpoint").read_text() == log.checkpoint_text()
    with pytest.raises(StateError):
        Log.create(tmp_path, origin=ORIGIN)


def test_open_absent_is_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError):
        Log.open(tmp_path)


def test_given_key_is_used(tmp_path: Path) -> None:
    key = LogKey.generate()
    with Log.create(tmp_path, origin=ORIGIN, key=key) as log:
        assert log.vkey == key.vkey(ORIGIN)


def test_appends_reads_and_proofs_across_tile_boundaries(tmp_path: Path) -> None:
    log, data = make(tmp_path, 700, chunk=61)
    with log:
        assert log.size == 700
        leaves = [merkle.leaf_hash(e) for e in data]
        cp, _ = open_checkpoint(log.checkpoint_text(), Verifier.parse(log.vkey))
        assert cp.root == merkle.root_from_leaves(leaves)
        for i in [0, 1, 60, 61, 255, 256, 257, 511, 512, 699]:
            assert log.entry(i) == data[i]
            assert log.leaf_hash(i) == leaves[i]
        for size in [1, 61, 122, 244, 256, 305, 512, 700]:
            for i in {0, size // 2, size - 1}:
                assert log.inclusion_proof(i, size) == merkle.inclusion_proof(leaves, i, size)
            for old in {0, 1, size // 3, size - 1, size}:
                assert log.consistency_proof(old, size) == merkle.consistency_proof(
                    leaves, old, size
                )
        with pytest.raises(InputError):
            log.entry(700)
        with pytest.raises(InputError):
            log.inclusion_proof(5, 701)
        with pytest.raises(InputError):
            log.append(b"x" * 65536)
    assert verify_tiles(tmp_path, log.vkey, ORIGIN).size == 700


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=6))
def test_any_batching_gives_the_same_tree(
    tmp_path_factory: pytest.TempPathFactory, chunks: list[int]
) -> None:
    d = tmp_path_factory.mktemp("log")
    total = sum(chunks)
    data = entries(total)
    with Log.create(d, origin=ORIGIN) as log:
        pos = 0
        for c in chunks:
            assert log.append_many(data[pos : pos + c]) == list(range(pos, pos + c))
            pos += c
        cp = verify_tiles(d, log.vkey)
    assert cp.root == merkle.root_from_leaves([merkle.leaf_hash(e) for e in data])


def test_concurrent_appends(tmp_path: Path) -> None:
    log = Log.create(tmp_path, origin=ORIGIN)
    got: dict[int, bytes] = {}
    lock = threading.Lock()

    def worker(t: int) -> None:
        for k in range(40):
            e = f"t{t}-{k}".encode()
            i = log.append(e)
            with lock:
                got[i] = e

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(320))
    for i, e in got.items():
        assert log.entry(i) == e
    log.close()
    verify_tiles(tmp_path, log.vkey)


def test_receipts(tmp_path: Path) -> None:
    log, data = make(tmp_path, 300)
    with log:
        v = Verifier.parse(log.vkey)
        for i in (0, 150, 299):
            r = TlogProof.parse(log.receipt(i))
            assert r.verify(data[i], v, ORIGIN).size == 300
        # Receipts for an earlier published checkpoint.
        old = TlogProof.parse(log.receipt(3, 97))
        assert old.verify(data[3], v).size == 97
        with pytest.raises(InputError):
            log.receipt(3, 98)  # never published at that size


def test_reopen_continues_the_same_tree(tmp_path: Path) -> None:
    log, data = make(tmp_path, 300)
    log.close()
    with Log.open(tmp_path, batch_ms=0) as log:
        assert log.size == 300 and log.entry(299) == data[299]
        more = entries(300, "f")
        log.append_many(more)
        cp = verify_tiles(tmp_path, log.vkey)
    assert cp.root == merkle.root_from_leaves([merkle.leaf_hash(e) for e in data + more])


def test_lost_published_checkpoint_is_republished(tmp_path: Path) -> None:
    log, _ = make(tmp_path, 10)
    log.close()
    (tmp_path / "log" / "checkpoint").write_text("torn")
    with Log.open(tmp_path) as log:
        assert log.size == 10
    verify_tiles(tmp_path, log.vkey)


def test_reopen_refuses_tiles_that_disagree(tmp_path: Path) -> None:
    log, _ = make(tmp_path, 10)
    log.close()
    p = tmp_path / "log" / "tile" / "0" / "000.p" / "10"
    b = bytearray(p.read_bytes())
    b[0] ^= 1
    p.write_bytes(bytes(b))
    with pytest.raises(StateError):
        Log.open(tmp_path)


def test_refuses_to_sign_a_non_extension(tmp_path: Path) -> None:
    log, _ = make(tmp_path, 10)
    before = (tmp_path / "log" / "checkpoint").read_bytes()
    log._root = b"\x00" * 32  # simulate a corrupted in-memory tree
    with pytest.raises(StateError):
        log.append(b"more")
    with pytest.raises(StateError):
        log.append(b"after failure")
    log.close()
    assert (tmp_path / "log" / "checkpoint").read_bytes() == before
    with Log.open(tmp_path) as log:
        assert log.size == 10


def _files(d: Path, size: int) -> dict[str, bytes]:
    out = {"checkpoint": (d / "log" / "checkpoint").read_bytes()}
    for rel in needed_files(size):
        out[rel] = (d / "log" / rel).read_bytes()
    return out


@pytest.mark.parametrize("n", [1, 5, 257])
def test_every_single_byte_change_is_detected(tmp_path: Path, n: int) -> None:
    log, _ = make(tmp_path, n, chunk=200)
    vkey = log.vkey
    log.close()
    files = _files(tmp_path, n)
    assert verify_tile_set(files, vkey).size == n
    for rel, data in files.items():
        for pos in range(len(data)):
            for delta in (1,) if len(data) > 1000 else (1, 0x80):
                bad = bytearray(data)
                bad[pos] ^= delta
                mutated = dict(files)
                mutated[rel] = bytes(bad)
                with pytest.raises(TileVerificationError):
                    verify_tile_set(mutated, vkey)
        truncated = dict(files)
        truncated[rel] = data[:-1]
        with pytest.raises(TileVerificationError):
            verify_tile_set(truncated, vkey)
        missing = {k: v for k, v in files.items() if k != rel}
        with pytest.raises(TileVerificationError):
            verify_tile_set(missing, vkey)


def test_partial_tiles_are_kept_for_checkpoints_until_the_full_tile_exists(tmp_path: Path) -> None:
    log, _ = make(tmp_path, 200, chunk=100)
    with log:
        assert (tmp_path / "log/tile/0/000.p/100").exists()
        assert (tmp_path / "log/tile/entries/000.p/200").exists()
        log.append_many(entries(100, "g"))
        assert (tmp_path / "log/tile/0/000").stat().st_size == 8192
        # The superseded partials are removed after the ack, before the next batch.
        log.append(b"next")
        assert not (tmp_path / "log/tile/0/000.p").exists()
        assert (tmp_path / "log/tile/0/001.p/45").exists()
        assert log.entry(150) == entries(200)[150]  # read from the full tile now


def test_key_is_not_in_public_dir(tmp_path: Path) -> None:
    log, _ = make(tmp_path, 3)
    log.close()
    seed = (tmp_path / "ledger" / "log.key").read_bytes()
    for root, _, names in os.walk(tmp_path / "log"):
        for name in names:
            assert seed not in (Path(root) / name).read_bytes()


def test_readonly_open_reads_without_writing(tmp_path: Path) -> None:
    log, data = make(tmp_path, 300)
    with Log.open(tmp_path, readonly=True) as ro:
        assert ro.size == 300 and ro.entry(299) == data[299]
        assert ro.checkpoint_text() == log.checkpoint_text()
        with pytest.raises(StateError):
            ro.append(b"no")
        log.append(b"while a reader is open")
    log.close()
    verify_tiles(tmp_path, log.vkey)
