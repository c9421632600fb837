"""Signature checks that can run in a process pool."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

from conftest import SHEET, TPS_A1, World, kid, sheet_envelope

from saksi.keys import envelope as env
from saksi.keys.envelope import Envelope
from saksi.keys.verify import SignatureCheck, verify_envelope_signatures, verify_many


def test_good_and_bad_envelopes(world: World) -> None:
    good = env.cosign(sheet_envelope(SHEET, world.dev_a1), world.witness)
    keys = world.registry.public_keys(good)
    assert set(keys) == {kid(world.dev_a1), kid(world.witness)}
    raw = env.encode(good)
    assert verify_envelope_signatures(raw, keys) == SignatureCheck(True, "OK")
    tampered = env.encode(Envelope(b"{}", good.payload_type, good.signatures))
    assert verify_envelope_signatures(tampered, keys) == SignatureCheck(
        False, "SIG-INVALID", kid(world.dev_a1)
    )
    missing = {kid(world.dev_a1): keys[kid(world.dev_a1)]}
    assert verify_envelope_signatures(raw, missing).code == "KEY-UNKNOWN"
    assert verify_envelope_signatures(b"nope", keys).code == "ENVELOPE-MALFORMED"


def test_inputs_and_results_cross_process_boundaries(world: World) -> None:
    envelope = sheet_envelope(SHEET, world.dev_a1)
    raw = env.encode(envelope)
    keys = world.registry.public_keys(envelope)
    batch = [(raw, keys), (raw[:-5], keys)]
    assert pickle.loads(pickle.dumps(batch)) == batch
    with ProcessPoolExecutor(max_workers=1) as pool:
        results = pool.submit(verify_many, batch).result()
    assert [r.ok for r in results] == [True, False]
    check = results[0]
    verdict = world.registry.check_sheet(raw, TPS_A1, world.next_index, verified=check.ok)
    assert verdict.ok
