"""The trust registry, as a list of attacks and the verdict each must get.

Each scenario builds the same small election (see conftest.World), then tries
one thing an attacker — or a careless operator — might do."""

from __future__ import annotations

import pytest
from conftest import (
    KAB_A,
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
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.errors import StateError
from saksi.keys import envelope as env
from saksi.keys.envelope import Envelope, Signature
from saksi.keys.ids import Role
from saksi.keys.payloads import AuthorityCertificate, Enrolment, Manifest
from saksi.keys.registry import Registry


def test_sheet_signed_by_its_enrolled_device_is_accepted(world: World) -> None:
    verdict = world.registry.check_sheet(
        env.encode(sheet_envelope(SHEET, world.dev_a1)), TPS_A1, world.next_index
    )
    assert verdict.ok and verdict.code == "OK"
    assert verdict.role is Role.DEVICE and verdict.signer == kid(world.dev_a1)
    assert verdict.scope == TPS_A1


def test_witness_cosignatures_are_accepted_and_reported(world: World) -> None:
    envelope = env.cosign(sheet_envelope(SHEET, world.dev_a1), world.witness)
    verdict = world.registry.check_sheet(envelope, TPS_A1, world.next_index)
    assert verdict.ok and verdict.cosigners == (kid(world.witness),)


def test_sheet_signed_by_another_tps_device_is_refused(world: World) -> None:
    envelope = sheet_envelope(SHEET, world.dev_a2)
    verdict = world.registry.check_sheet(envelope, TPS_A1, world.next_index)
    assert not verdict.ok and verdict.code == "KEY-WRONG-TPS"
    assert TPS_A2 in verdict.message_en and TPS_A2 in verdict.message_id


def test_sheet_signed_by_unenrolled_key_is_refused(world: World) -> None:
    verdict = world.registry.check_sheet(sheet_envelope(SHEET, seeded(99)), TPS_A1, 100)
    assert verdict.code == "KEY-UNKNOWN"


def test_key_is_unknown_before_its_enrolment_position(world: World) -> None:
    enrolled_at = world.registry.key(kid(world.dev_a1))
    assert enrolled_at is not None
    envelope = sheet_envelope(SHEET, world.dev_a1)
    assert world.registry.check_sheet(envelope, TPS_A1, enrolled_at.valid_from).code == (
        "KEY-UNKNOWN"
    )
    assert world.registry.check_sheet(envelope, TPS_A1, enrolled_at.valid_from + 1).ok


def test_revoked_device_signs_nothing_after_the_revocation_position(world: World) -> None:
    envelope = sheet_envelope(SHEET, world.dev_a1)
    revoked_at = world.append(world.revoke(world.dev_a1, by=world.kab_a))
    assert world.last_verdict.ok
    assert world.registry.revoked_at(kid(world.dev_a1)) == revoked_at
    # Before the revocation, the same envelope was (and stays) acceptable.
    assert world.registry.check_sheet(envelope, TPS_A1, revoked_at - 1).ok
    after = world.registry.check_sheet(envelope, TPS_A1, revoked_at + 1)
    assert after.code == "KEY-REVOKED" and str(revoked_at) in after.message_en
    assert world.registry.check_sheet(envelope, TPS_A1, revoked_at).code == "KEY-REVOKED"


def test_altered_payload_is_refused(world: World) -> None:
    good = sheet_envelope(SHEET, world.dev_a1)
    tampered = Envelope(
        payload=good.payload.replace(b"[1,2,3]", b"[1,2,9]"),
        payload_type=good.payload_type,
        signatures=good.signatures,
    )
    verdict = world.registry.check_sheet(env.encode(tampered), TPS_A1, world.next_index)
    assert verdict.code == "SIG-INVALID" and kid(world.dev_a1) in verdict.message_en


def test_altered_signature_is_refused(world: World) -> None:
    good = sheet_envelope(SHEET, world.dev_a1)
    sig = good.signatures[0]
    flipped = bytes([sig.sig[0] ^ 1]) + sig.sig[1:]
    tampered = Envelope(good.payload, good.payload_type, (Signature(sig.keyid, flipped),))
    assert world.registry.check_sheet(tampered, TPS_A1, world.next_index).code == "SIG-INVALID"


def test_swapped_keyid_is_refused(world: World) -> None:
    # dev_a2's signature relabelled as dev_a1's: the key lookup passes, the math does not.
    stolen = sheet_envelope(SHEET, world.dev_a2)
    relabelled = Envelope(
        stolen.payload,
        stolen.payload_type,
        (Signature(kid(world.dev_a1), stolen.signatures[0].sig),),
    )
    assert world.registry.check_sheet(relabelled, TPS_A1, world.next_index).code == "SIG-INVALID"


def test_changed_payload_type_breaks_the_signature(world: World) -> None:
    # The PAE binds the type: a sheet signature cannot be replayed as an enrolment.
    good = sheet_envelope(SHEET, world.kab_a)
    as_control = Envelope(good.payload, env.TYPE_ENROLMENT, good.signatures)
    verdict = world.registry.check_control(as_control, world.next_index)
    assert not verdict.ok


def test_duplicate_signatures_are_refused(world: World) -> None:
    good = sheet_envelope(SHEET, world.dev_a1)
    doubled = Envelope(good.payload, good.payload_type, good.signatures * 2)
    raw = env._encoder.encode(doubled)  # bypass encode()'s own refusal
    assert world.registry.check_sheet(raw, TPS_A1, world.next_index).code == "SIG-DUPLICATE"
    with pytest.raises(env.EnvelopeError):
        env.encode(doubled)


def test_witness_cosignature_cannot_be_repeated_as_a_second_witness(world: World) -> None:
    once = env.cosign(sheet_envelope(SHEET, world.dev_a1), world.witness)
    with pytest.raises(env.EnvelopeError) as exc:
        env.cosign(once, world.witness)
    assert exc.value.code == "SIG-DUPLICATE"


def test_device_enrolled_by_another_kabkota_authority_is_refused(world: World) -> None:
    rogue = seeded(50)
    world.append(world.enrol(rogue, TPS_A1, world.kab_b))
    assert world.last_verdict.code == "KEY-OUT-OF-SCOPE"
    assert world.registry.key(kid(rogue)) is None
    sheet = sheet_envelope(SHEET, rogue)
    assert world.registry.check_sheet(sheet, TPS_A1, world.next_index + 5).code == "KEY-UNKNOWN"


def test_enrolment_by_a_ppk_or_a_device_is_refused(world: World) -> None:
    rogue = seeded(51)
    for by in (world.ppk_a, world.dev_a1, world.witness):
        verdict = world.registry.check_control(world.enrol(rogue, TPS_A1, by), world.next_index)
        assert verdict.code == "KEY-WRONG-ROLE", by


def test_authority_certificate_not_signed_by_the_root_is_refused(world: World) -> None:
    rogue = seeded(52)
    doc = AuthorityCertificate(key=hexkey(rogue), name="Palsu", role=Role.KABKOTA, scope=KAB_A)
    world.append(signed(doc, world.kab_a))
    assert world.last_verdict.code == "KEY-WRONG-ROLE"
    world.append(signed(doc, seeded(53)))
    assert world.last_verdict.code == "KEY-UNKNOWN"
    # The refused certificates are in the log but grant nothing.
    world.append(world.enrol(seeded(54), TPS_A1, by=rogue))
    assert world.last_verdict.code == "KEY-UNKNOWN"
    assert world.registry.key(kid(rogue)) is None


def test_revoked_authority_enrols_nothing_afterwards_but_earlier_enrolments_stand(
    world: World,
) -> None:
    revoked_at = world.append(world.revoke(world.kab_a, by=world.root))
    assert world.last_verdict.ok
    late = seeded(55)
    world.append(world.enrol(late, TPS_A1, world.kab_a))
    verdict = world.last_verdict
    assert verdict.code == "KEY-REVOKED" and str(revoked_at) in verdict.message_en
    # dev_a1 was enrolled before the revocation: the log proves the order.
    assert world.registry.check_sheet(sheet_envelope(SHEET, world.dev_a1), TPS_A1, 100).ok


def test_only_the_root_the_issuer_or_the_key_itself_may_revoke(world: World) -> None:
    at = world.next_index
    assert world.registry.check_control(world.revoke(world.dev_a1, by=world.kab_b), at).code == (
        "KEY-WRONG-ROLE"
    )
    assert world.registry.check_control(world.revoke(world.kab_b, by=world.kab_a), at).code == (
        "KEY-WRONG-ROLE"
    )
    for by in (world.root, world.kab_a, world.dev_a1):
        assert world.registry.check_control(world.revoke(world.dev_a1, by=by), at).ok


def test_revocation_of_unknown_or_root_or_twice_is_refused(world: World) -> None:
    at = world.next_index
    unknown = world.revoke(seeded(60), by=world.root)
    assert world.registry.check_control(unknown, at).code == "REVOKE-TARGET-UNKNOWN"
    root = world.revoke(world.root, by=world.root)
    assert world.registry.check_control(root, at).code == "REVOKE-ROOT"
    world.append(world.revoke(world.dev_a1, by=world.root))
    again = world.revoke(world.dev_a1, by=world.kab_a)
    assert world.registry.check_control(again, world.next_index).code == "REVOKE-DUPLICATE"


def test_ppk_may_sign_for_tps_inside_its_kecamatan_only(world: World) -> None:
    envelope = sheet_envelope(SHEET, world.ppk_a)
    inside = world.registry.check_sheet(envelope, TPS_A2, world.next_index)
    assert inside.ok and inside.role is Role.KECAMATAN and inside.scope == KEC_A
    outside = world.registry.check_sheet(envelope, TPS_A_OTHER_KEC, world.next_index)
    assert outside.code == "KEY-OUT-OF-SCOPE"


def test_authorities_and_witnesses_cannot_submit_sheets(world: World) -> None:
    for key in (world.root, world.kab_a, world.witness):
        verdict = world.registry.check_sheet(sheet_envelope(SHEET, key), TPS_A1, world.next_index)
        assert verdict.code == "KEY-WRONG-ROLE"


def test_cosigner_must_be_a_witness_in_scope_and_valid(world: World) -> None:
    base = sheet_envelope(SHEET, world.dev_a1)
    at = world.next_index
    assert world.registry.check_sheet(env.cosign(base, world.dev_a2), TPS_A1, at).code == (
        "KEY-WRONG-ROLE"
    )
    # witness_b watches Kota Bandung only
    assert world.registry.check_sheet(env.cosign(base, world.witness_b), TPS_A1, at).code == (
        "KEY-OUT-OF-SCOPE"
    )
    assert world.registry.check_sheet(
        env.cosign(sheet_envelope(SHEET, world.dev_b1), world.witness_b), TPS_B1, at
    ).ok
    assert world.registry.check_sheet(env.cosign(base, seeded(61)), TPS_A1, at).code == (
        "KEY-UNKNOWN"
    )
    forged = env.cosign(base, world.witness)
    bad = Signature(forged.signatures[1].keyid, bytes(64))
    tampered = Envelope(forged.payload, forged.payload_type, (forged.signatures[0], bad))
    assert world.registry.check_sheet(tampered, TPS_A1, at).code == "SIG-INVALID"


def test_control_documents_are_refused_as_sheets_and_vice_versa(world: World) -> None:
    enrolment = world.enrol(seeded(62), TPS_A1, world.kab_a)
    assert world.registry.check_sheet(enrolment, TPS_A1, world.next_index).code == "PAYLOAD-TYPE"
    sheet = env.encode(sheet_envelope(SHEET, world.dev_a1))
    observed = world.registry.observe(world.next_index, sheet)
    assert observed.ok and observed.code == "SHEET-NOT-CHECKED"


def test_malformed_bytes_get_a_verdict_not_an_exception(world: World) -> None:
    assert world.registry.check_sheet(b"{}", TPS_A1, 50).code == "ENVELOPE-MALFORMED"
    good = env.encode(sheet_envelope(SHEET, world.dev_a1))
    spaced = good.replace(b",", b", ", 1)
    assert world.registry.check_sheet(spaced, TPS_A1, 50).code == "ENVELOPE-NONCANONICAL"
    assert world.registry.check_sheet(good, "32010100010", 50).code == "TPS-INVALID"


def test_duplicate_key_is_refused(world: World) -> None:
    again = world.enrol(world.dev_a1, TPS_A1, world.kab_a)
    assert world.registry.check_control(again, world.next_index).code == "KEY-DUPLICATE"
    cert = world.cert(world.dev_a1, Role.WITNESS, "32", "Saksi")
    assert world.registry.check_control(cert, world.next_index).code == "KEY-DUPLICATE"


def test_manifest_comes_first_once_and_self_signed() -> None:
    w = World()
    manifest = Manifest(
        election_sha256="cd" * 32, log_origin="saksi.example/x", root_key=hexkey(w.root),
        scope="0",
    )
    registry = Registry()
    cert = w.cert(w.kab_a, Role.KABKOTA, KAB_A, "KPU")
    assert registry.observe(0, cert).code == "NO-MANIFEST"
    assert registry.observe(1, signed(manifest, seeded(70))).code == "KEY-WRONG-ROLE"
    assert registry.check_sheet(sheet_envelope(SHEET, w.dev_a1), TPS_A1, 5).code == "NO-MANIFEST"
    assert registry.observe(2, signed(manifest, w.root)).ok
    assert registry.observe(3, signed(manifest, w.root)).code == "MANIFEST-DUPLICATE"
    assert registry.manifest == manifest
    with pytest.raises(StateError):
        registry.observe(3, cert)


def test_pinned_root_refuses_another_root() -> None:
    w = World()
    other = seeded(71)
    manifest = Manifest(
        election_sha256="cd" * 32, log_origin="o", root_key=hexkey(other), scope="0"
    )
    pinned = Registry(root_key=bytes(w.root.verify_key))
    assert pinned.observe(0, signed(manifest, other)).code == "ROOT-MISMATCH"


def test_signatures_can_be_checked_elsewhere_then_trusted(world: World) -> None:
    signatures = sheet_envelope(SHEET, world.dev_a1).signatures
    tampered_payload = Envelope(b"{}", env.TYPE_SHEET, signatures)
    verdict = world.registry.check_sheet(tampered_payload, TPS_A1, world.next_index, verified=True)
    assert verdict.ok  # the caller vouched for the signatures
    assert not world.registry.check_sheet(tampered_payload, TPS_A1, world.next_index).ok


def test_replay_without_verification_reaches_the_same_state(world: World) -> None:
    replay = Registry()
    for i, entry in enumerate(world.log):
        assert replay.observe(i, entry, verify=False).ok
    original = world.registry.records()
    assert sorted(r.keyid for r in replay.records()) == sorted(r.keyid for r in original)
    assert {r.role for r in replay.records()} == set(Role) - {Role.PROVINSI}


def test_enrolment_scope_follows_the_tps_code(world: World) -> None:
    ok = Enrolment(key=hexkey(seeded(80)), tps="3201990001001")
    assert world.registry.check_control(signed(ok, world.kab_a), world.next_index).ok


@settings(max_examples=25, deadline=None)
@given(gap=st.integers(0, 5), probes=st.lists(st.integers(0, 40), min_size=1, max_size=8))
def test_a_key_signs_exactly_inside_its_validity_interval(gap: int, probes: list[int]) -> None:
    w = World().build()
    enrolled_at = w.append(w.enrol(seeded(90), TPS_A1, w.kab_a))
    for _ in range(gap):  # unrelated entries between enrolment and revocation
        w.append(env.encode(sheet_envelope(SHEET, w.dev_a1)))
    revoked_at = w.append(w.revoke(seeded(90), by=w.root))
    envelope = sheet_envelope(SHEET, seeded(90))
    for i in probes:
        verdict = w.registry.check_sheet(envelope, TPS_A1, i)
        assert verdict.ok == (enrolled_at < i < revoked_at), (i, verdict.code)


def test_judging_the_signers_alone_equals_checking_a_verified_envelope(world: World) -> None:
    """``check_sheet_signers`` (what the sequencer asks when a worker verified
    every signature) gives ``check_sheet(..., verified=True)``'s verdict for every
    signer combination, TPS and log position."""
    revoked = seeded(71)
    world.append(world.enrol(revoked, TPS_A2, world.kab_a))
    world.append(world.revoke(revoked, by=world.kab_a))
    base = sheet_envelope(SHEET, world.dev_a1)
    envelopes = [
        base,
        env.cosign(base, world.witness),
        env.cosign(base, world.witness_b),
        env.cosign(base, world.dev_a2),
        env.cosign(base, seeded(72)),
        sheet_envelope(SHEET, world.dev_a2),
        sheet_envelope(SHEET, world.ppk_a),
        sheet_envelope(SHEET, world.kab_a),
        sheet_envelope(SHEET, world.witness),
        sheet_envelope(SHEET, seeded(73)),
        sheet_envelope(SHEET, revoked),
    ]
    seen = set()
    for envelope in envelopes:
        for tps in (TPS_A1, TPS_A2, TPS_A_OTHER_KEC, TPS_B1, "not-a-tps"):
            for at in (0, 5, world.next_index - 1, world.next_index):
                full = world.registry.check_sheet(envelope, tps, at, verified=True)
                alone = world.registry.check_sheet_signers(envelope.keyids, tps, at)
                assert alone == full, (envelope.keyids, tps, at)
                seen.add(full.code)
    assert {"OK", "KEY-WRONG-TPS", "KEY-OUT-OF-SCOPE", "KEY-WRONG-ROLE", "KEY-UNKNOWN",
            "KEY-REVOKED", "TPS-INVALID"} <= seen
    assert world.registry.check_sheet_signers((), TPS_A1, world.next_index).code == "SIG-COUNT"
