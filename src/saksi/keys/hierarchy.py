"""Building an election's key hierarchy and its first log entries
(``saksi keys init``), and finding the keys again afterwards.

Layout under ``DIR/keys/`` (every private file 0600, the directory 0700):

    root.key                         KPU root
    authority/kabkota-<code>.key     one per kab/kota (enrols devices)
    authority/kecamatan-<code>.key   one per kecamatan (PPK)
    witness/<name>.key               a few witnesses
    simulation-master.key            secret seed of simulated device keys
    public.json                      index of public keys (no secrets)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import msgspec
from nacl.signing import SigningKey

from saksi.errors import InputError, NotFoundError, StateError
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_AUTHORITY, TYPE_ENROLMENT, TYPE_MANIFEST
from saksi.keys.ids import Role, key_id
from saksi.keys.keyfile import (
    KIND_SIM_MASTER,
    Sealer,
    read_secret,
    read_signing_key,
    write_secret,
    write_signing_key,
)
from saksi.keys.payloads import AuthorityCertificate, Enrolment, Manifest, encode_payload
from saksi.keys.simulation import device_key

KEYS_DIR = "keys"
PUBLIC_INDEX = "public.json"
ENROLMENT_BATCH = 10_000

# (file name, display name) of the witnesses created for a simulation.
WITNESSES: tuple[tuple[str, str], ...] = (
    ("bawaslu", "Bawaslu"),
    ("pemantau-universitas", "Pemantau Universitas"),
    ("saksi-partai-1", "Saksi Partai 1"),
    ("saksi-partai-2", "Saksi Partai 2"),
)


def log_origin(index_sha256: str) -> str:
    """The log origin of an election: derived from its index hash, so two
    elections (or two seeds) never share an origin."""
    return f"saksi.example/pemilu-{index_sha256[:16]}"


class PublicKeyInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    keyid: str
    public_key: str  # hex
    role: Role
    scope: str
    name: str
    file: str  # relative to DIR/keys
    index: int  # log index of the manifest / certificate


class PublicIndex(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``DIR/keys/public.json``: a convenience index; the log is the record."""

    version: int
    log_origin: str
    election_sha256: str
    scope: str
    root: PublicKeyInfo
    authorities: tuple[PublicKeyInfo, ...]
    witnesses: tuple[PublicKeyInfo, ...]
    devices: int  # simulated devices enrolled
    enrolments: tuple[int, int]  # first and last log index of the enrolments
    device_derivation: str


@dataclass(frozen=True, slots=True)
class ElectionKeysInput:
    """What ``init_keys`` needs to know about the election (no I/O types)."""

    scope: str  # "0" national, else the region code of the election
    index_sha256: str
    tps_codes: Sequence[str]  # every TPS, in the order to enrol
    region_name: Callable[[str], str]  # name of a kab/kota or kecamatan code
    origin: str | None = None  # log origin; default derived from index_sha256


def authority_file(role: Role, code: str) -> str:
    return f"authority/{role.value}-{code}.key"


def witness_file(name: str) -> str:
    return f"witness/{name}.key"


def _write_index(path: Path, index: PublicIndex) -> None:
    path.write_bytes(msgspec.json.format(msgspec.json.encode(index)) + b"\n")


def read_index(election_dir: Path) -> PublicIndex:
    path = Path(election_dir) / KEYS_DIR / PUBLIC_INDEX
    try:
        return msgspec.json.decode(path.read_bytes(), type=PublicIndex)
    except FileNotFoundError:
        raise StateError(
            f"belum ada kunci di {election_dir}: jalankan `saksi keys init`",
            f"no keys in {election_dir}: run `saksi keys init`",
        ) from None
    except msgspec.DecodeError as exc:
        raise StateError(f"{path} rusak: {exc}", f"{path} is corrupt: {exc}") from None


@dataclass(frozen=True, slots=True)
class InitReport:
    keys_dir: Path
    root_keyid: str
    authorities: int
    witnesses: int
    devices: int
    entries: int  # log entries appended


def init_keys(
    election_dir: Path,
    election: ElectionKeysInput,
    append_many: Callable[[Sequence[bytes]], list[int]],
    *,
    first_index: int = 0,
    sealer: Sealer | None = None,
    batch: int = ENROLMENT_BATCH,
    workers: int = 1,
) -> InitReport:
    """Create the key hierarchy under ``DIR/keys`` and append the manifest,
    the authority certificates and one enrolment per TPS through
    ``append_many`` (log indices from ``first_index``). Refuses if
    ``DIR/keys`` exists. Keys are written to a temporary directory that is
    renamed into place only once every entry is in the log."""
    election_dir = Path(election_dir)
    final = election_dir / KEYS_DIR
    if final.exists():
        raise StateError(
            f"kunci sudah ada di {final}; init tidak diulang",
            f"keys already exist in {final}; refusing to initialise twice",
        )
    if not election.tps_codes:
        raise InputError("election", str(election_dir), "pemilu tanpa TPS", "election has no TPS")
    tmp = election_dir / f".{KEYS_DIR}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(mode=0o700, parents=True)
    try:
        report = _init_into(
            tmp, election, append_many, first_index=first_index, sealer=sealer, batch=batch,
            workers=workers,
        )
        os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return InitReport(final, report.root_keyid, report.authorities, report.witnesses,
                      report.devices, report.entries)


def _init_into(
    keys_dir: Path,
    election: ElectionKeysInput,
    append_many: Callable[[Sequence[bytes]], list[int]],
    *,
    first_index: int,
    sealer: Sealer | None,
    batch: int,
    workers: int,
) -> InitReport:
    index = first_index
    origin = election.origin or log_origin(election.index_sha256)

    def save(rel: str, key: SigningKey) -> None:
        path = keys_dir / rel
        path.parent.mkdir(mode=0o700, exist_ok=True)
        write_signing_key(path, key, sealer=sealer)

    def info(
        key: SigningKey, role: Role, scope: str, name: str, *, rel: str, at: int
    ) -> PublicKeyInfo:
        pk = bytes(key.verify_key)
        return PublicKeyInfo(key_id(pk), pk.hex(), role, scope, name, rel, at)

    root = SigningKey.generate()
    save("root.key", root)
    master = os.urandom(32)
    write_secret(keys_dir / "simulation-master.key", master, kind=KIND_SIM_MASTER, sealer=sealer)

    head: list[bytes] = []
    manifest = Manifest(
        election_sha256=election.index_sha256,
        log_origin=origin,
        root_key=bytes(root.verify_key).hex(),
        scope=election.scope,
    )
    head.append(env.encode(env.sign(TYPE_MANIFEST, encode_payload(manifest), [root])))
    root_info = info(root, Role.ROOT, election.scope, "KPU", rel="root.key", at=index)

    kabkota = sorted({c[:4] for c in election.tps_codes})
    kecamatan = sorted({c[:6] for c in election.tps_codes})
    authorities: list[PublicKeyInfo] = []
    signers: dict[str, SigningKey] = {}
    for role, codes in ((Role.KABKOTA, kabkota), (Role.KECAMATAN, kecamatan)):
        for code in codes:
            key = SigningKey.generate()
            rel = authority_file(role, code)
            save(rel, key)
            name = election.region_name(code)
            cert = AuthorityCertificate(
                key=bytes(key.verify_key).hex(), name=name, role=role, scope=code
            )
            head.append(env.encode(env.sign(TYPE_AUTHORITY, encode_payload(cert), [root])))
            authorities.append(info(key, role, code, name, rel=rel, at=index + len(head) - 1))
            if role is Role.KABKOTA:
                signers[code] = key
    witnesses: list[PublicKeyInfo] = []
    for file_name, name in WITNESSES:
        key = SigningKey.generate()
        rel = witness_file(file_name)
        save(rel, key)
        cert = AuthorityCertificate(
            key=bytes(key.verify_key).hex(), name=name, role=Role.WITNESS, scope=election.scope
        )
        head.append(env.encode(env.sign(TYPE_AUTHORITY, encode_payload(cert), [root])))
        at = index + len(head) - 1
        witnesses.append(info(key, Role.WITNESS, election.scope, name, rel=rel, at=at))
    _append_checked(append_many, head, index)
    index += len(head)

    first_enrolment = index
    chunks = list(_chunks(election.tps_codes, batch))
    seeds = {code: bytes(key) for code, key in signers.items()}
    if workers > 1 and len(chunks) > 1:
        # Key derivation and signing dominate (≈ 120 µs per TPS); spread the
        # chunks over processes, appending them in order as they come back.
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for entries in pool.map(_enrol_chunk, repeat(master), repeat(seeds), chunks):
                _append_checked(append_many, entries, index)
                index += len(entries)
    else:
        for chunk in chunks:
            entries = _enrol_chunk(master, seeds, chunk)
            _append_checked(append_many, entries, index)
            index += len(entries)

    _write_index(
        keys_dir / PUBLIC_INDEX,
        PublicIndex(
            version=1,
            log_origin=origin,
            election_sha256=election.index_sha256,
            scope=election.scope,
            root=root_info,
            authorities=tuple(authorities),
            witnesses=tuple(witnesses),
            devices=len(election.tps_codes),
            enrolments=(first_enrolment, index - 1),
            device_derivation="ed25519 seed = HMAC-SHA256(simulation-master, "
            '"saksi-device-v1:" + TPS code)',
        ),
    )
    return InitReport(keys_dir, root_info.keyid, len(authorities), len(witnesses),
                      len(election.tps_codes), index - first_index)


def _enrol_chunk(master: bytes, authority_seeds: dict[str, bytes], codes: Sequence[str]) -> (
    list[bytes]
):
    keys = {code: SigningKey(seed) for code, seed in authority_seeds.items()}
    return [enrolment_entry(master, code, keys[code[:4]]) for code in codes]


def enrolment_entry(master: bytes, tps_code: str, authority: SigningKey) -> bytes:
    """The envelope enrolling the simulated device of ``tps_code``."""
    device = device_key(master, tps_code)
    doc = Enrolment(key=bytes(device.verify_key).hex(), tps=tps_code)
    return env.encode(env.sign(TYPE_ENROLMENT, encode_payload(doc), [authority]))


def _append_checked(
    append_many: Callable[[Sequence[bytes]], list[int]], entries: list[bytes], expected: int
) -> None:
    indices = append_many(entries)
    if indices and indices[0] != expected:
        # Validity intervals are log positions: they must be where we think.
        raise StateError(
            f"log tidak kosong seperti diharapkan (indeks {indices[0]}, bukan {expected})",
            f"the log is not where expected (index {indices[0]}, not {expected})",
        )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- finding keys again ----------------------------------------------------


def keys_dir(election_dir: Path) -> Path:
    return Path(election_dir) / KEYS_DIR


def load_root(election_dir: Path, passphrase: bytes | None) -> SigningKey:
    return read_signing_key(keys_dir(election_dir) / "root.key", passphrase=passphrase)


def load_master(election_dir: Path, passphrase: bytes | None) -> bytes:
    return read_secret(
        keys_dir(election_dir) / "simulation-master.key",
        kind=KIND_SIM_MASTER,
        passphrase=passphrase,
    )


def load_authority(
    election_dir: Path, role: Role, code: str, passphrase: bytes | None
) -> SigningKey:
    path = keys_dir(election_dir) / authority_file(role, code)
    if not path.exists():
        raise NotFoundError(
            "region", code, f"tidak ada kunci {role.value} untuk {code}",
            f"no {role.value} key for {code}",
        )
    return read_signing_key(path, passphrase=passphrase)


def load_witness(election_dir: Path, name: str, passphrase: bytes | None) -> SigningKey:
    if not name.replace("-", "").isalnum():
        raise InputError("--witness", name, "nama saksi tidak sah", "invalid witness name")
    path = keys_dir(election_dir) / witness_file(name)
    if not path.exists():
        known = sorted(p.stem for p in (keys_dir(election_dir) / "witness").glob("*.key"))
        raise NotFoundError(
            "--witness", name, f"saksi tidak dikenal; ada: {', '.join(known)}",
            f"unknown witness; known: {', '.join(known)}",
        )
    return read_signing_key(path, passphrase=passphrase)


def iter_public(index: PublicIndex) -> Iterable[PublicKeyInfo]:
    yield index.root
    yield from index.authorities
    yield from index.witnesses
