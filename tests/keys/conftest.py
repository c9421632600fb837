"""A hand-made election for the key tests: root, authorities, devices and a
list standing in for the log, so the registry is tested without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from nacl.signing import SigningKey

from saksi.keys import envelope as env
from saksi.keys.envelope import Envelope
from saksi.keys.ids import Role, key_id
from saksi.keys.payloads import (
    TYPE_OF,
    AuthorityCertificate,
    ControlDocument,
    Enrolment,
    Manifest,
    Revocation,
    encode_payload,
)
from saksi.keys.registry import Registry

KAB_A = "3201"  # Kab. Bogor
KAB_B = "3273"  # Kota Bandung
KEC_A = "320101"
TPS_A1 = "3201010001001"
TPS_A2 = "3201010001002"
TPS_A_OTHER_KEC = "3201020001001"
TPS_B1 = "3273010001001"


def seeded(n: int) -> SigningKey:
    return SigningKey(bytes([n]) * 32)


def hexkey(k: SigningKey) -> str:
    return bytes(k.verify_key).hex()


def kid(k: SigningKey) -> str:
    return key_id(bytes(k.verify_key))


def signed(doc: ControlDocument, *signers: SigningKey) -> bytes:
    return env.encode(env.sign(TYPE_OF[type(doc)], encode_payload(doc), signers))


def sheet_envelope(payload: bytes, *signers: SigningKey) -> Envelope:
    return env.sign(env.TYPE_SHEET, payload, signers)


SHEET = b'{"contest":"ppwp","reason":null,"revision":0,"tps":"3201010001001","votes":[1,2,3]}'


@dataclass
class World:
    """Keys of a two-kab/kota election and the log that introduced them."""

    root: SigningKey = field(default_factory=lambda: seeded(1))
    kab_a: SigningKey = field(default_factory=lambda: seeded(2))
    kab_b: SigningKey = field(default_factory=lambda: seeded(3))
    ppk_a: SigningKey = field(default_factory=lambda: seeded(4))
    witness: SigningKey = field(default_factory=lambda: seeded(5))
    witness_b: SigningKey = field(default_factory=lambda: seeded(6))
    dev_a1: SigningKey = field(default_factory=lambda: seeded(7))
    dev_a2: SigningKey = field(default_factory=lambda: seeded(8))
    dev_b1: SigningKey = field(default_factory=lambda: seeded(9))
    log: list[bytes] = field(default_factory=list)
    registry: Registry = field(default_factory=Registry)

    def append(self, entry: bytes) -> int:
        """Append to the log and feed the registry; returns the verdict's code."""
        index = len(self.log)
        self.log.append(entry)
        verdict = self.registry.observe(index, entry)
        self.last_verdict = verdict
        return index

    @property
    def next_index(self) -> int:
        return len(self.log)

    def cert(self, key: SigningKey, role: Role, scope: str, name: str) -> bytes:
        return signed(
            AuthorityCertificate(key=hexkey(key), name=name, role=role, scope=scope), self.root
        )

    def enrol(self, device: SigningKey, tps: str, by: SigningKey) -> bytes:
        return signed(Enrolment(key=hexkey(device), tps=tps), by)

    def revoke(self, target: SigningKey, by: SigningKey, reason: str = "hilang / lost") -> bytes:
        return signed(Revocation(keyid=kid(target), reason=reason), by)

    def build(self) -> World:
        manifest = Manifest(
            election_sha256="ab" * 32,
            log_origin="saksi.example/abababababababab",
            root_key=hexkey(self.root),
            scope="32",
        )
        for entry in (
            signed(manifest, self.root),
            self.cert(self.kab_a, Role.KABKOTA, KAB_A, "KPU Kabupaten Bogor"),
            self.cert(self.kab_b, Role.KABKOTA, KAB_B, "KPU Kota Bandung"),
            self.cert(self.ppk_a, Role.KECAMATAN, KEC_A, "PPK Nanggung"),
            self.cert(self.witness, Role.WITNESS, "32", "Bawaslu Jawa Barat"),
            self.cert(self.witness_b, Role.WITNESS, KAB_B, "Saksi Kota Bandung"),
            self.enrol(self.dev_a1, TPS_A1, self.kab_a),
            self.enrol(self.dev_a2, TPS_A2, self.kab_a),
            self.enrol(self.dev_b1, TPS_B1, self.kab_b),
        ):
            self.append(entry)
            assert self.last_verdict.ok, self.last_verdict
        return self


@pytest.fixture
def world() -> World:
    return World().build()
