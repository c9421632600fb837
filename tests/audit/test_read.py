"""Reading bundles around the page cache (a log larger than memory): O_DIRECT into a
reused buffer where the filesystem allows it, the usual read with the pages dropped
where it does not. Either way the bytes are the file's."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from saksi.audit import scan

SIZES = [0, 1, 4095, 4096, 4097, 8192, 1_000_000, 3 << 20, (3 << 20) + 5]


@pytest.fixture(autouse=True)
def dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "DROP_PAGES", [True])
    monkeypatch.setattr(scan, "_DIRECT", [hasattr(os, "O_DIRECT")])
    monkeypatch.setattr(scan, "_BUFFER", [])


@pytest.mark.parametrize("size", SIZES)
def test_a_file_is_read_whole_whatever_its_size(tmp_path: Path, size: int) -> None:
    path = tmp_path / "bundle"
    path.write_bytes(os.urandom(size))
    assert scan._read(path) == path.read_bytes()


def test_the_buffer_is_reused_and_grows_for_a_larger_file(tmp_path: Path) -> None:
    for size in (5000, 3 << 20, 7000):
        path = tmp_path / f"b{size}"
        path.write_bytes(os.urandom(size))
        assert scan._read(path) == path.read_bytes()
    if scan._DIRECT[0]:  # this filesystem took O_DIRECT
        assert len(scan._BUFFER) == 1 and len(scan._BUFFER[0]) >= (3 << 20) + 4096


def test_a_filesystem_without_o_direct_is_read_the_usual_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def refusing(path: str, flags: int, *args: int) -> int:
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing)
    path = tmp_path / "bundle"
    path.write_bytes(b"x" * 5000)
    assert scan._read(path) == b"x" * 5000
    assert scan._DIRECT == [False]


def test_a_missing_file_is_still_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scan._read(tmp_path / "absent")
