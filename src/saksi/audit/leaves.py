"""The leaf hashes of an entry bundle and the root of a full tile, fast.

``tlog.split_bundle``, ``tlog.leaf_hash`` and ``tlog.perfect_root`` are the reference.
With the accelerator, one call splits a bundle and hashes its 256 entries with
OpenSSL's ``SHA256()`` (the library ``hashlib`` itself loaded, so the same SHA
extensions), and another hashes a tile's 255 inner nodes: in Python the list
building, the ``b"\\x00" + entry`` copies and the 255 calls were 1.7 us of each
national sheet entry's 16 us outside Ed25519. Hashes travel concatenated (32 bytes
each): one ``bytes`` compared with the published tile at once."""

from __future__ import annotations

import ctypes
import hashlib
from pathlib import Path

from saksi.audit.tlog import leaf_hash, perfect_root, split_bundle

try:
    from saksi.audit import _accel
except ImportError:  # installed without a C compiler
    _accel = None  # type: ignore[assignment]

_PROBE = b"saksi leaves probe"


def _libcrypto() -> Path | None:
    """The libcrypto ``hashlib`` loaded, read from the process's own mappings (Linux)."""
    try:
        import _hashlib  # noqa: F401  (maps OpenSSL into the process)
        maps = Path("/proc/self/maps").read_text()
    except (ImportError, OSError):
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if "/libcrypto" in path and path.startswith("/"):
            return Path(path)
    return None


def _use_openssl() -> bool:
    if _accel is None:
        return False
    library = _libcrypto()
    if library is None:
        return False
    try:
        fn = ctypes.CDLL(str(library)).SHA256
        address = ctypes.cast(fn, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return False
    if not address:
        return False
    _accel.use_sha256(address)
    # the symbol must be the SHA-256 hashlib computes, or it is not used at all
    probe = _accel.leaves(len(_PROBE).to_bytes(2, "big") + _PROBE, 1)
    if probe is None or probe[1] != hashlib.sha256(b"\x00" + _PROBE).digest():
        _accel.use_sha256(0)
        return False
    return True


FAST = _use_openssl()


def bundle_leaves(data: bytes, count: int) -> tuple[list[bytes], bytes]:
    """The ``count`` entries of a bundle and their leaf hashes, concatenated;
    FormatError (``split_bundle``'s) for a bundle that is not exactly that."""
    if FAST:
        got = _accel.leaves(data, count)
        if got is not None:
            return got
    entries = split_bundle(data, count)
    return entries, b"".join([leaf_hash(e) for e in entries])


def tile_root(hashes: bytes) -> bytes:
    """The root of the perfect tree over concatenated 32-byte hashes (a power of two)."""
    if FAST:
        root = _accel.perfect_root(hashes)
        if root is not None:
            return root
    return perfect_root([hashes[i:i + 32] for i in range(0, len(hashes), 32)])
