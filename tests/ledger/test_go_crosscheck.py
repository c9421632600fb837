"""Third-party check: Go's golang.org/x/mod/sumdb/{note,tlog} — the reference
code the C2SP signed-note and tlog formats come from — verifies our
checkpoint signature, every tile hash at every level, the entry bundles,
a tlog-proof receipt and a consistency proof.

Needs Debian's ``golang-go`` and ``golang-golang-x-mod-dev`` (installed by
``.ci/run``). Skips without them on a developer's machine; fails in CI.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from saksi.ledger import Log

GOPATH = Path("/usr/share/gocode")
SOURCE = Path(__file__).parent / "go_crosscheck" / "main.go"


@pytest.fixture(scope="module")
def crosscheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install golang-go and golang-golang-x-mod-dev (see .ci/run)")
        pytest.skip("Go and golang.org/x/mod (Debian golang-golang-x-mod-dev) not installed")
    build = tmp_path_factory.mktemp("go")
    shutil.copy(SOURCE, build / "main.go")
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH),
           "GOCACHE": str(build / "cache"), "GOFLAGS": ""}
    subprocess.run([go, "build", "-o", str(build / "crosscheck"), "."], cwd=build, env=env,
                   check=True, capture_output=True, timeout=300)
    return build / "crosscheck"


def _write_proofs(directory: Path, index: int, old: int) -> str:
    with Log.open(directory, readonly=True) as log:
        (directory / "proof.txt").write_text(log.receipt(index))
        lines = [base64.b64encode(h).decode() for h in log.consistency_proof(old)]
        (directory / "consistency.txt").write_text("\n".join(lines) + "\n")
        return log.vkey


def _run(
    crosscheck: Path, directory: Path, vkey: str, old: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(crosscheck), str(directory / "log"), vkey, str(directory / "proof.txt"),
         str(directory / "consistency.txt"), str(old)],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("size", [1, 255, 256, 257, 1000, 65_536 + 300])
def test_go_reference_code_verifies_our_log(crosscheck: Path, tmp_path: Path, size: int) -> None:
    with Log.create(tmp_path, origin="saksi.example/go-crosscheck") as log:
        log.append_many([f"entry {i} ".encode() * (1 + i % 5) for i in range(size)])
    old = max(1, size // 3)
    result = _run(crosscheck, tmp_path, _write_proofs(tmp_path, size // 2, old), old)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK {size} entries")


@pytest.mark.parametrize("target", ["checkpoint", "tile/0/000", "tile/entries/000"])
def test_go_reference_code_rejects_a_changed_byte(
    crosscheck: Path, tmp_path: Path, target: str
) -> None:
    with Log.create(tmp_path, origin="saksi.example/go-crosscheck") as log:
        log.append_many([f"entry {i}".encode() for i in range(300)])
    vkey = _write_proofs(tmp_path, 10, 5)
    assert _run(crosscheck, tmp_path, vkey, 5).returncode == 0
    path = tmp_path / "log" / target
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))
    result = _run(crosscheck, tmp_path, vkey, 5)
    assert result.returncode != 0
    assert "FAIL" in result.stderr
