"""Restoring the trust registry from the service's index instead of the log.

A service that restarts on a national log must not replay ~830,000
enrolments; ``Registry.restore`` rebuilds the registry from the store's
index of the log (``Store.trust_rows``). The restored registry must be
indistinguishable from a replay: every question — which key, revoked when,
valid where, and the verdict on any sheet or control document at any log
position — gets the same answer, also after revocations and new authority
certificates. And an index that the log could not have produced is refused
(``StateError``), so that the caller replays the log instead.

The logs are built as the sequencer keeps them: only accepted documents
enter. The index is the sequencer's own (an election driven through the
real pipeline) or, for the many generated scenarios, written with
``Store.commit`` exactly as the sequencer fills it: every entry in
``documents`` with its first signer, one ``keys`` row per key it registered.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgspec
import pytest
from conftest import (
    KAB_A,
    KAB_B,
    KEC_A,
    SHEET,
    TPS_A1,
    TPS_A2,
    TPS_A_OTHER_KEC,
    TPS_B1,
    World,
    hexkey,
    kid,
    seeded,
    sheet_envelope,
    signed,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.cli import main
from saksi.election import Election
from saksi.election.model import Contest
from saksi.errors import StateError
from saksi.ingest import Ingestor, Receipt, Refusal
from saksi.keys import envelope as env
from saksi.keys.envelope import CONTROL_TYPES, TYPE_SHEET, Envelope
from saksi.keys.hierarchy import load_authority, load_master, load_root, load_witness
from saksi.keys.ids import Role
from saksi.keys.payloads import AuthorityCertificate, Enrolment, Revocation
from saksi.keys.registry import Registry, Verdict
from saksi.keys.simulation import device_key
from saksi.ledger import Log
from saksi.sheets.canonical import encode as encode_sheet
from saksi.sheets.generate import generate_sheet
from saksi.store import Batch, DocumentRow, KeyRow, Store, open_store
from saksi.store.base import TrustRows

# ------------------------------------------------------------ the two registries


def replayed(log: list[bytes], root: bytes | None = None) -> Registry:
    """The registry as ``Sequencer.open`` rebuilds it by replay: every
    control entry of the log, in order, signatures not checked again."""
    registry = Registry(root)
    for index, raw in enumerate(log):
        if env.decode(raw).payload_type in CONTROL_TYPES:
            registry.observe(index, raw, verify=False)
    return registry


def index_of(log: list[bytes]) -> Store:
    """An in-memory store holding the index the sequencer writes of ``log``
    (``Sequencer._commit``): each entry with its first signer, and a ``keys``
    row for every key its registry holds, with the revocation position."""
    registry = replayed(log)
    store = open_store("sqlite://:memory:")
    batch = Batch(len(log))
    for index, raw in enumerate(log):
        envelope = env.decode(raw)
        batch.documents.append(DocumentRow(
            index, hashlib.sha256(b"\x00" + raw).hexdigest(), envelope.payload_type, "clean",
            b"[]", "2024-02-14T13:00:00.000000Z", signer=envelope.signer))
    batch.keys = [KeyRow(r.keyid, r.public_key, str(r.role), r.scope, r.valid_from,
                         registry.revoked_at(r.keyid)) for r in registry.records()]
    store.commit(batch)
    return store


def restored(log: list[bytes], root: bytes | None = None) -> Registry:
    with index_of(log) as store:
        return Registry.restore(root, store.trust_rows(len(log), log.__getitem__))


# ------------------------------------------------------------ the questions


@dataclass
class Probe:
    """Everything to ask a registry: keys to look up, sheets signed by each
    key (alone, over votes it did not sign, and with each cosigner), TPS
    codes to claim them for, control documents to submit, and the log
    positions to ask at."""

    signers: dict[str, SigningKey]
    cosigners: list[SigningKey]
    tps: list[str]
    controls: dict[str, bytes]
    positions: list[int]
    sheets: dict[str, Envelope] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, key in self.signers.items():
            alone = sheet_envelope(SHEET, key)
            self.sheets[name] = alone
            # Its signature over other votes: only the key's own bytes tell.
            self.sheets[f"{name} altered"] = msgspec.structs.replace(
                alone, payload=SHEET.replace(b"[1,2,3]", b"[1,2,4]"))
            for n, cosigner in enumerate(self.cosigners):
                if cosigner is not key:
                    self.sheets[f"{name}+cosigner{n}"] = env.cosign(alone, cosigner)


def answers(registry: Registry, probe: Probe) -> dict[tuple[object, ...], object]:
    """Every answer the registry gives to the probe, by question."""
    out: dict[tuple[object, ...], object] = {
        ("records",): list(registry.records()),
        ("len",): len(registry),
        ("manifest",): registry.manifest,
        ("root",): registry.root,
        ("last_index",): registry.last_index,
    }
    for name, key in probe.signers.items():
        keyid = kid(key)
        out[("key", name)] = registry.key(keyid)
        out[("revoked_at", name)] = registry.revoked_at(keyid)
        for at in probe.positions:
            out[("is_valid", name, at)] = registry.is_valid(keyid, at)
    last = probe.positions[-1]
    for name, sheet in probe.sheets.items():
        for tps in probe.tps:
            for at in probe.positions:
                out[("check_sheet", name, tps, at)] = registry.check_sheet(
                    sheet, tps, at, verified=True)
            # Once with the signatures checked against the registry's keys.
            out[("check_sheet verified", name, tps)] = registry.check_sheet(sheet, tps, last)
    for name, entry in probe.controls.items():
        for at in probe.positions:
            out[("check_control", name, at)] = registry.check_control(entry, at, verify=False)
        out[("check_control verified", name)] = registry.check_control(entry, last)
    return out


def codes(given: dict[tuple[object, ...], object]) -> set[str]:
    return {v.code for v in given.values() if isinstance(v, Verdict)}


# What the comparisons must have seen for them to mean anything.
SHEET_VERDICTS = {"OK", "KEY-UNKNOWN", "KEY-WRONG-TPS", "KEY-WRONG-ROLE", "KEY-OUT-OF-SCOPE",
                  "SIG-INVALID"}


def assert_same(log: list[bytes], probe: Probe, root: bytes | None = None) -> set[str]:
    """The restored registry answers every question of the probe as the
    replayed one does; returns the verdict codes seen."""
    expected = answers(replayed(log, root), probe)
    assert answers(restored(log, root), probe) == expected
    return codes(expected)


# ------------------------------------------------------------ hand-made elections


class Writer:
    """The hand-made election's log as the sequencer keeps it: a document
    enters only if the registry accepts it at that position."""

    def __init__(self) -> None:
        self.world = World().build()
        self.extra: dict[str, SigningKey] = {}
        self.sheets = 0

    @property
    def log(self) -> list[bytes]:
        return self.world.log

    def submit(self, entry: bytes) -> Verdict:
        verdict = self.world.registry.check_control(entry, self.world.next_index)
        if verdict.ok:
            self.world.append(entry)
        return verdict

    def sheet(self, key: SigningKey) -> None:
        """A sheet entry: the registry ignores it, the positions move on.
        Sheets differ in their votes so that each is a new log entry."""
        self.sheets += 1
        payload = SHEET.replace(b"[1,2,3]", f"[{self.sheets},2,3]".encode())
        self.world.append(env.encode(sheet_envelope(payload, key)))

    def keys(self) -> dict[str, SigningKey]:
        w = self.world
        named = {"root": w.root, "kab_a": w.kab_a, "kab_b": w.kab_b, "ppk_a": w.ppk_a,
                 "witness": w.witness, "witness_b": w.witness_b, "dev_a1": w.dev_a1,
                 "dev_a2": w.dev_a2, "dev_b1": w.dev_b1, "never enrolled": seeded(250)}
        return named | self.extra

    def probe(self) -> Probe:
        w, keys = self.world, self.keys()
        fresh = seeded(251)
        controls: dict[str, bytes] = {
            "enrol fresh by kab_a": w.enrol(fresh, TPS_A1, w.kab_a),
            "enrol fresh in Bandung by kab_a": w.enrol(fresh, TPS_B1, w.kab_a),
            "enrol fresh by ppk_a": w.enrol(fresh, TPS_A1, w.ppk_a),
            "certify fresh": w.cert(fresh, Role.KABKOTA, KAB_A, "KPU Kabupaten Bogor"),
            "certify fresh by kab_a": signed(AuthorityCertificate(
                key=hexkey(fresh), name="KPU", role=Role.KABKOTA, scope=KAB_A), w.kab_a),
            "certify outside the election": w.cert(fresh, Role.KABKOTA, "3301", "KPU Cilacap"),
        }
        for name, key in keys.items():
            controls[f"enrol {name} again"] = w.enrol(key, TPS_A2, w.kab_a)
            for by in ("root", "kab_a", "kab_b"):
                controls[f"revoke {name} by {by}"] = w.revoke(key, by=keys[by])
            controls[f"revoke {name} by itself"] = w.revoke(key, by=key)
        # Witnesses of the province and of Bandung, and a device (never a cosigner).
        return Probe(keys, [w.witness, w.witness_b, w.dev_a2],
                     [TPS_A1, TPS_A2, TPS_A_OTHER_KEC, TPS_B1], controls,
                     list(range(0, len(self.log) + 2)))


def test_an_empty_index_restores_an_empty_registry() -> None:
    probe = replace(Writer().probe(), positions=[0, 1])
    assert answers(restored([]), probe) == answers(replayed([]), probe)


def test_a_fresh_election_is_restored_exactly() -> None:
    writer = Writer()
    assert assert_same(writer.log, writer.probe()) >= SHEET_VERDICTS


def test_revocations_and_new_authorities_are_restored_exactly() -> None:
    writer = Writer()
    w = writer.world
    kab_a2, dev_a1_new, dev_a2_new = seeded(20), seeded(21), seeded(22)
    writer.extra = {"kab_a2": kab_a2, "dev_a1_new": dev_a1_new, "dev_a2_new": dev_a2_new}
    writer.sheet(w.dev_a1)
    lost_at = w.next_index
    assert writer.submit(w.revoke(w.dev_a1, by=w.kab_a)).ok  # the device is lost
    writer.sheet(w.dev_b1)
    # A second Bogor authority before the first is revoked: two valid at once.
    assert writer.submit(w.cert(kab_a2, Role.KABKOTA, KAB_A, "KPU Kabupaten Bogor")).ok
    assert writer.submit(w.enrol(dev_a1_new, TPS_A1, kab_a2)).ok
    assert writer.submit(w.revoke(w.kab_a, by=w.root)).ok
    assert writer.submit(w.enrol(dev_a2_new, TPS_A2, kab_a2)).ok
    assert writer.submit(w.revoke(w.dev_b1, by=w.dev_b1)).ok  # a device revokes itself
    assert writer.submit(w.revoke(w.witness_b, by=w.root)).ok
    writer.sheet(dev_a1_new)
    # Refused documents never reach the log: an enrolment by the revoked
    # authority, a certificate not signed by the root, a second revocation.
    assert writer.submit(w.enrol(seeded(23), TPS_A1, w.kab_a)).code == "KEY-REVOKED"
    assert writer.submit(signed(AuthorityCertificate(
        key=hexkey(seeded(24)), name="Saksi", role=Role.WITNESS, scope="32"),
        kab_a2)).code == "KEY-WRONG-ROLE"
    assert writer.submit(w.revoke(w.dev_a1, by=w.root)).code == "REVOKE-DUPLICATE"

    seen = assert_same(writer.log, writer.probe())
    assert SHEET_VERDICTS | {"KEY-REVOKED", "REVOKE-DUPLICATE", "KEY-DUPLICATE",
                             "REVOKE-ROOT", "REVOKE-TARGET-UNKNOWN"} <= seen
    # The answers compared above include these, by the restored registry too:
    registry = restored(writer.log)
    lost = sheet_envelope(SHEET, w.dev_a1)
    assert registry.check_sheet(lost, TPS_A1, lost_at - 1).ok  # before its revocation
    assert registry.check_sheet(lost, TPS_A1, lost_at).code == "KEY-REVOKED"
    assert registry.check_sheet(sheet_envelope(SHEET, dev_a1_new), TPS_A1, len(writer.log)).ok
    record = registry.key(kid(dev_a2_new))
    assert record is not None and record.issuer == kid(kab_a2)


# Everything a generated scenario may try; refused attempts never enter the log.
POOL = ["root", "kab_a", "kab_b", "ppk_a", "witness", "witness_b", "dev_a1", "dev_a2",
        "dev_b1", "new0", "new1", "new2", "new3", "new4"]
CERTIFIED = [(Role.KABKOTA, KAB_A), (Role.KABKOTA, KAB_B), (Role.KECAMATAN, KEC_A),
             (Role.WITNESS, "32"), (Role.WITNESS, KAB_B), (Role.KABKOTA, "3301")]
TPS_CODES = [TPS_A1, TPS_A2, TPS_A_OTHER_KEC, TPS_B1]



def anyone_or(likely: list[str]) -> st.SearchStrategy[str]:
    """A signer: half the time one that may well be accepted."""
    return st.one_of(st.sampled_from(likely), st.sampled_from(POOL))


actions = st.one_of(
    st.tuples(st.just("enrol"), st.sampled_from(POOL), st.sampled_from(TPS_CODES),
              anyone_or(["kab_a", "kab_b", "new0", "new1"])),
    st.tuples(st.just("revoke"), st.sampled_from(POOL), anyone_or(["root", "kab_a", "new0"])),
    st.tuples(st.just("certify"), anyone_or(["new0", "new1"]),
              st.sampled_from(range(len(CERTIFIED))), anyone_or(["root"])),
    st.tuples(st.just("sheet"), st.sampled_from(POOL)),
)


@settings(max_examples=50, deadline=None)
@given(script=st.lists(actions, max_size=14))
def test_any_history_of_enrolments_revocations_and_certificates_is_restored_exactly(
    script: list[tuple[object, ...]],
) -> None:
    writer = Writer()
    writer.extra = {f"new{n}": seeded(100 + n) for n in range(5)}
    keys, w = writer.keys(), writer.world
    for action in script:
        match action:
            case ("enrol", str(key), str(tps), str(by)):
                writer.submit(w.enrol(keys[key], tps, keys[by]))
            case ("revoke", str(key), str(by)):
                writer.submit(w.revoke(keys[key], by=keys[by]))
            case ("certify", str(key), int(which), str(by)):
                role, scope = CERTIFIED[which]
                writer.submit(signed(AuthorityCertificate(
                    key=hexkey(keys[key]), name=f"{role.value} {scope}",
                    role=role, scope=scope), keys[by]))
            case ("sheet", str(key)):
                writer.sheet(keys[key])
    assert assert_same(writer.log, writer.probe()) >= SHEET_VERDICTS
    index = rows(writer.log)
    event(f"{len(index.control)} control entries besides the enrolments")
    event(f"{sum(r[4] is not None for r in index.devices)} rows name their signer")


def test_the_restored_registry_goes_on_like_the_replayed_one() -> None:
    writer = Writer()
    w = writer.world
    kab_a2 = seeded(30)
    assert writer.submit(w.cert(kab_a2, Role.KABKOTA, KAB_A, "KPU Kabupaten Bogor")).ok
    continued = [
        w.revoke(w.kab_a, by=w.root),
        w.enrol(seeded(31), TPS_A1, w.kab_a),  # refused: kab_a is revoked now
        w.enrol(seeded(31), TPS_A1, kab_a2),
        env.encode(sheet_envelope(SHEET, w.dev_a2)),
        w.revoke(seeded(31), by=kab_a2),
    ]
    before, after = replayed(writer.log), restored(writer.log)
    for offset, entry in enumerate(continued):
        at = len(writer.log) + offset
        assert after.observe(at, entry) == before.observe(at, entry)
    writer.extra = {"kab_a2": kab_a2, "late device": seeded(31)}
    probe = replace(writer.probe(), positions=list(range(len(writer.log) + len(continued) + 2)))
    assert answers(after, probe) == answers(before, probe)


def test_a_pinned_root_is_kept() -> None:
    writer = Writer()
    root = bytes(writer.world.root.verify_key)
    assert restored(writer.log, root).manifest == replayed(writer.log, root).manifest
    with pytest.raises(StateError):  # another root: the manifest is refused, then every device
        restored(writer.log, bytes(seeded(99).verify_key))


# ------------------------------------------------------------ attacks on the index


def rows(log: list[bytes]) -> TrustRows:
    with index_of(log) as store:
        return store.trust_rows(len(log), log.__getitem__)


def bogor_history() -> tuple[Writer, SigningKey]:
    """Bogor (devices at 6 and 7; Bandung's at 8) gets a second kab/kota
    authority at 10, which enrols a device at 11 while the first is still
    valid, and one at 13 after the first is revoked at 12."""
    writer = Writer()
    w = writer.world
    kab_a2 = seeded(40)
    writer.sheet(w.dev_a1)
    assert writer.submit(w.cert(kab_a2, Role.KABKOTA, KAB_A, "KPU Kabupaten Bogor")).ok
    assert writer.submit(w.enrol(seeded(41), TPS_A1, kab_a2)).ok
    assert writer.submit(w.revoke(w.kab_a, by=w.root)).ok
    assert writer.submit(w.enrol(seeded(45), TPS_A2, kab_a2)).ok
    writer.sheet(w.dev_a2)
    return writer, kab_a2


def refuses(index: TrustRows) -> StateError:
    with pytest.raises(StateError) as caught:
        Registry.restore(None, index)
    assert caught.value.message_id and caught.value.message_en
    return caught.value


def test_the_unaltered_index_restores() -> None:
    writer, _ = bogor_history()
    index = rows(writer.log)
    assert [r[0] for r in index.devices] == [6, 7, 8, 11, 13]
    # Only Bogor's rows name their signer: it had two authorities.
    assert [r[4] is not None for r in index.devices] == [True, True, False, True, True]
    assert list(Registry.restore(None, index).records()) == list(
        replayed(writer.log).records())


def test_a_missing_device_row_is_noticed() -> None:
    index = rows(bogor_history()[0].log)
    refuses(replace(index, devices=index.devices[:-1]))


def test_a_device_row_moved_to_another_position_is_noticed() -> None:
    index = rows(bogor_history()[0].log)
    at, keyid, pk, tps, signer = index.devices[2]
    assert (at, tps) == (8, TPS_B1)
    # Onto the last sheet's position, where the chain would accept it.
    moved = [*index.devices[:2], *index.devices[3:], (index.before - 1, keyid, pk, tps, signer)]
    refuses(replace(index, devices=moved))


def test_an_extra_device_row_is_noticed_even_with_a_matching_count() -> None:
    writer, kab_a2 = bogor_history()
    index = rows(writer.log)
    rogue = seeded(42)
    forged = (index.before - 1, kid(rogue), bytes(rogue.verify_key), TPS_A2, kid(kab_a2))
    refuses(replace(index, devices=[*index.devices, forged]))
    refuses(replace(index, devices=[*index.devices, forged], enrolments=index.enrolments + 1))


def test_a_device_row_the_chain_would_refuse_is_noticed() -> None:
    writer, kab_a2 = bogor_history()
    w = writer.world
    index = rows(writer.log)
    last = len(index.devices) - 1
    at, keyid, pk, tps, _ = index.devices[last]  # enrolled by kab_a2 after kab_a's revocation

    def signed_by(signer: str | None, tps_code: str = tps) -> TrustRows:
        devices = [*index.devices[:last], (at, keyid, pk, tps_code, signer)]
        return replace(index, devices=devices)

    refuses(signed_by(kid(w.kab_a)))  # revoked before
    refuses(signed_by(kid(w.ppk_a)))  # a PPK enrols nothing
    refuses(signed_by(kid(w.kab_b)))  # Bandung's authority, a Bogor TPS
    refuses(signed_by(kid(kab_a2), TPS_B1))  # Bogor's authority, a Bandung TPS
    refuses(signed_by(kid(seeded(43))))  # nobody
    assert list(Registry.restore(None, signed_by(kid(kab_a2))).records())


def test_an_unnamed_signer_is_implied_only_where_one_authority_was_valid() -> None:
    writer, _ = bogor_history()
    index = rows(writer.log)
    # At 11 Bogor had two valid authorities: the row must say which signed.
    ambiguous = [(a, k, p, t, None if a == 11 else s) for a, k, p, t, s in index.devices]
    refuses(replace(index, devices=ambiguous))
    # At 6 and 7 there was only kab_a yet; at 13 only kab_a2 was left.
    implied = [(a, k, p, t, None if a in (6, 7, 13) else s) for a, k, p, t, s in index.devices]
    assert list(Registry.restore(None, replace(index, devices=implied)).records()) == list(
        replayed(writer.log).records())


def test_duplicated_reordered_or_colliding_rows_are_noticed() -> None:
    writer, _ = bogor_history()
    index = rows(writer.log)
    d = index.devices
    refuses(replace(index, devices=[d[1], d[0], *d[2:]]))
    refuses(replace(index, devices=[*d, d[-1]]))
    at, _, pk, tps, signer = d[1]
    refuses(replace(index, devices=[d[0], (at, d[0][1], pk, tps, signer), *d[2:]]))
    revocation_at = index.control[-1][0]  # of kab_a, at 12
    shared = refuses(replace(index, devices=[*d[:3], (revocation_at, *d[3][1:]), d[4]]))
    assert f"log index {revocation_at} " in shared.message_en and "shared" in shared.message_en


def test_an_index_without_its_control_entries_is_noticed() -> None:
    index = rows(bogor_history()[0].log)
    refuses(replace(index, control=[]))
    refuses(replace(index, control=index.control[1:]))  # no manifest


def test_a_log_holding_a_refused_enrolment_is_left_to_the_replay() -> None:
    # Not written by the sequencer, which never appends a refused document:
    # the enrolment counts, but introduced no key.
    writer = Writer()
    w = writer.world
    w.append(w.enrol(seeded(44), TPS_A1, w.ppk_a))
    assert w.last_verdict.code == "KEY-WRONG-ROLE"
    refuses(rows(writer.log))


# ------------------------------------------------------------ the real pipeline


@pytest.fixture(scope="module")
def built_election(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("restore") / "election"
    assert main(["election", "init", str(directory), "--scale", "kecamatan", "--seed", "5"]) == 0
    assert main(["keys", "init", str(directory)]) == 0
    return directory


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, built_election: Path,
           tmp_path: Path) -> Iterator[tuple[Path, str]]:
    directory = tmp_path / "election"
    shutil.copytree(built_election, directory)
    if request.param == "sqlite":
        yield directory, f"sqlite:///{tmp_path / 'saksi.sqlite'}"
    else:
        from saksi.store.testing import fresh_database

        yield directory, fresh_database()


def test_the_sequencers_own_index_restores_exactly_at_every_position(
    served: tuple[Path, str],
) -> None:
    directory, url = served
    with Election.open(directory) as election:
        tps = [t.code for t, _ in zip(election.iter_tps(), range(4), strict=False)]
        ballots = [(election.ballot(code, Contest.PPWP), election.tps(code)) for code in tps]
    kab, kec = tps[0][:4], tps[0][:6]
    root = load_root(directory, None)
    authority = load_authority(directory, Role.KABKOTA, kab, None)
    ppk = load_authority(directory, Role.KECAMATAN, kec, None)
    bawaslu = load_witness(directory, "bawaslu", None)
    master = load_master(directory, None)
    devices = {code: device_key(master, code) for code in tps}
    authority2, replacement, second = seeded(60), seeded(61), seeded(62)

    def sheet(code: str, seed: int) -> bytes:
        ballot, place = ballots[tps.index(code)]
        payload = encode_sheet(generate_sheet(ballot, place, seed))
        return env.encode(env.sign(TYPE_SHEET, payload, [devices[code]]))

    with Ingestor.open(directory, url) as ingestor:
        keys_init_end = ingestor.log.size
        steps: list[tuple[bytes, bool]] = [
            (sheet(tps[0], 1), True),
            (signed(Revocation(keyid=kid(devices[tps[1]]), reason="hilang / lost"),
                     authority), True),
            (sheet(tps[1], 2), False),  # by the revoked device
            (signed(AuthorityCertificate(key=hexkey(authority2), name="KPU pengganti",
                                          role=Role.KABKOTA, scope=kab), root), True),
            (signed(Enrolment(key=hexkey(replacement), tps=tps[1]), authority2), True),
            (signed(Enrolment(key=hexkey(second), tps=tps[2]), ppk), False),  # wrong role
            (signed(Revocation(keyid=kid(authority), reason="dicuri / stolen"), root), True),
            (signed(Enrolment(key=hexkey(second), tps=tps[2]), authority), False),  # revoked
            (signed(Enrolment(key=hexkey(second), tps=tps[2]), authority2), True),
            (signed(Revocation(keyid=kid(bawaslu), reason="diganti / replaced"), root), True),
            (sheet(tps[3], 3), True),
        ]
        for raw, accepted in steps:
            outcome = ingestor.submit(raw)
            assert isinstance(outcome, Receipt if accepted else Refusal), outcome
        applied = ingestor.sequencer.store.applied_size()
        assert applied == ingestor.log.size
    with Log.open(directory, readonly=True) as log:
        entries = [log.entry(i) for i in range(log.size)]

    signers = {"root": root, "kabkota": authority, "kabkota 2": authority2, "ppk": ppk,
               "bawaslu": bawaslu, "replacement": replacement, "second": second,
               "never enrolled": seeded(63)} | {f"device {c}": k for c, k in devices.items()}
    other_kecamatan = kab + str((int(kec[4:]) % 99) + 1).zfill(2) + tps[0][6:]
    controls = {
        "enrol fresh": signed(Enrolment(key=hexkey(seeded(64)), tps=tps[0]), authority2),
        "enrol fresh by the first authority":
            signed(Enrolment(key=hexkey(seeded(64)), tps=tps[0]), authority),
        "revoke replacement": signed(Revocation(keyid=kid(replacement), reason="x"),
                                      authority2),
        "revoke device by the first authority":
            signed(Revocation(keyid=kid(devices[tps[0]]), reason="x"), authority),
        "certify PPK elsewhere": signed(AuthorityCertificate(
            key=hexkey(seeded(65)), name="PPK", role=Role.KECAMATAN,
            scope=other_kecamatan[:6]), root),
    }
    pk_root = bytes(root.verify_key)
    with open_store(url) as store:
        for before in range(keys_init_end - 2, applied + 1):
            index = store.trust_rows(before, entries.__getitem__)
            positions = sorted({0, 1, *range(keys_init_end - 3, before + 2)})
            probe = Probe(signers, [bawaslu], [*tps, other_kecamatan], controls, positions)
            expected = answers(replayed(entries[:before], pk_root), probe)
            assert answers(Registry.restore(pk_root, index), probe) == expected, before
        # Devices of the kab/kota with two authorities name their signer.
        assert all(row[4] is not None for row in index.devices)
    assert SHEET_VERDICTS | {"KEY-REVOKED"} <= codes(expected)
