"""Crash safety: acknowledged entries survive, reopened logs are consistent, and the log
never signs two checkpoints that are inconsistent with each other.

Crashes are real: a child process appending from several threads is killed with
SIGKILL at random moments, or exits abruptly (``os._exit``) at a chosen step of the
write path through the fault hook.  Failures *between* steps are also injected
in-process (the hook raises)."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from saksi.errors import StateError
from saksi.ledger import Log, merkle, verify_tiles
from saksi.ledger.checkpoint import Checkpoint, open_checkpoint
from saksi.ledger.note import Verifier

ORIGIN = "saksi.example/crash"
STEPS = ["integrated", "tiles_written", "signed", "cosigned", "published"]

CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    from pathlib import Path
    from saksi.ledger import Log

    d, tag, step, after = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    seen = [0]

    def fault(s):
        if s == step:
            seen[0] += 1
            if seen[0] > after:
                # the write path stops here; the appenders may still be printing the
                # acknowledgements they already got (a loaded machine): let them
                time.sleep(0.5)
                os._exit(77)

    log = Log.open(d, batch_size=64, batch_ms=2, fault=fault)
    out = threading.Lock()

    def worker(t):
        k = 0
        while True:
            batch = [f"{tag}-{t}-{k + j}".encode() * (1 + (k + j) % 5) for j in range(1 + k % 7)]
            k += len(batch)
            idx = log.append_many(batch)
            with out:
                for i, e in zip(idx, batch):
                    sys.stdout.write(f"{i} {e.hex()}\\n")
                sys.stdout.flush()

    for t in range(4):
        threading.Thread(target=worker, args=(t,), daemon=True).start()
    threading.Event().wait()
    """
)


class History:
    """Everything a client could have observed: acked entries and published checkpoints."""

    def __init__(self, d: Path, vkey: str) -> None:
        self.d = d
        self.verifier = Verifier.parse(vkey)
        self.acked: dict[int, bytes] = {}
        self.checkpoints: list[Checkpoint] = []

    def observe_checkpoint(self) -> None:
        cp, _ = open_checkpoint((self.d / "log" / "checkpoint").read_text(), self.verifier, ORIGIN)
        self.checkpoints.append(cp)

    def check(self) -> None:
        with Log.open(self.d) as log:
            for i, e in self.acked.items():
                assert log.entry(i) == e, f"acknowledged entry {i} lost"
            cps = sorted(self.checkpoints, key=lambda c: c.size)
            for a, b in itertools.pairwise(cps):
                proof = log.consistency_proof(a.size, b.size)
                assert merkle.verify_consistency(a.size, b.size, a.root, b.root, proof)
        verify_tiles(self.d, self.verifier.vkey, ORIGIN)
        self.observe_checkpoint()


def run_child(
    d: Path, tag: str, step: str, after: int, kill_after: float | None,
    kill_after_acks: int = 0,
) -> dict[int, bytes]:
    """Run the writer child; with ``kill_after``, SIGKILL it that many seconds
    after it has acknowledged ``kill_after_acks`` entries (counting from its
    acknowledgements, not its start, keeps a loaded machine from killing it
    before it has written anything)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(d), tag, step, str(after)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    head: list[bytes] = []
    try:
        if kill_after is not None:
            assert proc.stdout is not None
            deadline = time.monotonic() + 60
            while len(head) < kill_after_acks and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                head.append(line)
            time.sleep(kill_after)
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        out = b"".join(head) + out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if kill_after is None:
        assert proc.returncode == 77, err.decode()[-2000:]
    acked: dict[int, bytes] = {}
    for line in out.decode().splitlines():
        parts = line.split(" ")
        if len(parts) == 2 and parts[1]:  # a line cut by the kill is not an acknowledgement
            try:
                acked[int(parts[0])] = bytes.fromhex(parts[1])
            except ValueError:
                continue
    return acked


def test_killed_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(20240214)
    log = Log.create(tmp_path, origin=ORIGIN)
    hist = History(tmp_path, log.vkey)
    log.close()
    hist.observe_checkpoint()
    for round_ in range(5):
        acked = run_child(tmp_path, f"r{round_}", "-", 0, kill_after=rng.uniform(0.0, 0.2),
                          kill_after_acks=rng.randrange(64, 400))
        for i, e in acked.items():
            assert hist.acked.setdefault(i, e) == e, "an index was handed out twice"
        hist.check()
    assert len(hist.acked) > 256  # the kills landed while full tiles were being written
    print("acked", len(hist.acked), "checkpoints", [c.size for c in hist.checkpoints])


@pytest.mark.parametrize("step", STEPS)
def test_exit_at_each_step_of_the_write_path(tmp_path: Path, step: str) -> None:
    log = Log.create(tmp_path, origin=ORIGIN)
    hist = History(tmp_path, log.vkey)
    log.close()
    hist.observe_checkpoint()
    for round_ in range(2):
        acked = run_child(tmp_path, f"{step}{round_}", step, 3, kill_after=None)
        for i, e in acked.items():
            assert hist.acked.setdefault(i, e) == e
        hist.check()
    assert len(hist.acked) >= 6  # three batches were acknowledged before each exit
    with Log.open(tmp_path, batch_ms=0) as log:
        before = log.size
        assert log.append(b"after the crashes") == before
    hist.check()


@pytest.mark.parametrize("step", STEPS)
def test_failure_injected_between_steps(tmp_path: Path, step: str) -> None:
    armed = {"on": False}

    def fault(s: str) -> None:
        if armed["on"] and s == step:
            raise OSError(f"injected failure at {s}")

    with Log.create(tmp_path, origin=ORIGIN) as log:
        vkey = log.vkey
    log = Log.open(tmp_path, batch_ms=0, fault=fault)
    first = [b"a%d" % i for i in range(300)]
    log.append_many(first)
    signed_before = open_checkpoint(log.checkpoint_text(), Verifier.parse(vkey))[0]
    armed["on"] = True
    with pytest.raises(StateError):
        log.append_many([b"b%d" % i for i in range(20)])
    with pytest.raises(StateError):  # the log stays failed until reopened
        log.append(b"c")
    log.close()
    with Log.open(tmp_path, batch_ms=0) as log:
        # Before signing, the failed batch is gone; from signing on, it is in the tree.
        expect = 300 if STEPS.index(step) < STEPS.index("signed") else 320
        assert log.size == expect
        assert [log.entry(i) for i in range(300)] == first
        proof = log.consistency_proof(300)
        cp = open_checkpoint(log.checkpoint_text(), Verifier.parse(vkey))[0]
        assert merkle.verify_consistency(300, cp.size, signed_before.root, cp.root, proof)
        n = log.append_many([b"d%d" % i for i in range(10)])
        assert n[0] == expect
    verify_tiles(tmp_path, vkey, ORIGIN)
