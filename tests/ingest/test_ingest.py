"""The submission pipeline: what enters the log, what is refused and why.

Attack scenarios are scripted against a real election directory, real keys
and a real log; after every refusal the log must be exactly as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.cli import main
from saksi.election import Election
from saksi.election.model import Contest
from saksi.ingest import Ingestor, Receipt, Refusal
from saksi.ingest.precheck import MAX_ENTRY_BYTES, leaf_hash
from saksi.keys import envelope as env
from saksi.keys.envelope import TYPE_SHEET
from saksi.keys.hierarchy import load_authority, load_master
from saksi.keys.ids import Role
from saksi.keys.simulation import device_key
from saksi.ledger import Log
from saksi.sheets.canonical import encode
from saksi.sheets.generate import generate_sheet
from saksi.sheets.inject import inject
from saksi.sheets.model import Sheet, with_counts


def _tps_codes(directory: Path, n: int = 2) -> list[str]:
    with Election.open(directory) as election:
        return [t.code for t, _ in zip(election.iter_tps(), range(n), strict=False)]


def _sheet(directory: Path, tps: str, contest: Contest = Contest.PPWP, seed: int = 1) -> Sheet:
    with Election.open(directory) as election:
        return generate_sheet(election.ballot(tps, contest), election.tps(tps), seed)


def _signed(directory: Path, sheet: Sheet, signer: SigningKey | None = None) -> bytes:
    key = signer or device_key(load_master(directory, None), sheet.tps)
    return env.encode(env.sign(TYPE_SHEET, encode(sheet), [key]))


def _log_size(directory: Path) -> int:
    with Log.open(directory, readonly=True) as log:
        return log.size


def _refused(outcome: object, code: str) -> None:
    assert isinstance(outcome, Refusal), outcome
    assert code in {r.code for r in outcome.reasons}, outcome.reasons
    for reason in outcome.reasons:
        assert reason.message_id and reason.message_en


# ------------------------------------------------------------ accepted


def test_a_clean_sheet_signed_by_its_tps_enters_the_log_exactly_as_signed(
    election_dir: Path,
) -> None:
    tps = _tps_codes(election_dir)[0]
    raw = _signed(election_dir, _sheet(election_dir, tps))
    size = _log_size(election_dir)
    with Ingestor.open(election_dir) as ingestor:
        receipt = ingestor.submit(raw)
    assert isinstance(receipt, Receipt)
    assert (receipt.index, receipt.verdict, receipt.flags) == (size, "clean", ())
    assert receipt.leaf_hash == leaf_hash(raw).hex()
    with Log.open(election_dir, readonly=True) as log:
        assert log.entry(receipt.index) == raw
        assert log.leaf_hash(receipt.index).hex() == receipt.leaf_hash


def test_a_flagged_sheet_is_kept_exactly_as_written_and_its_flags_named(
    election_dir: Path,
) -> None:
    import random

    tps = _tps_codes(election_dir)[0]
    bad = inject(_sheet(election_dir, tps), "digit-inserted", random.Random(3))
    raw = _signed(election_dir, bad)
    with Ingestor.open(election_dir) as ingestor:
        receipt = ingestor.submit(raw)
    assert isinstance(receipt, Receipt) and receipt.verdict == "flagged"
    assert {f.code for f in receipt.flags} & {"CH-VALID-SUM", "CH-VOTES-LE-CAP"}
    with Log.open(election_dir, readonly=True) as log:
        assert log.entry(receipt.index) == raw


def test_a_rule_broken_twice_is_named_once_in_the_version_and_twice_in_the_receipt(
    election_dir: Path,
) -> None:
    """Two parties' totals swapped break two party identities: the receipt gives each
    failure with its fields, the TPS page's ``flags`` name the rule once, and an
    independent verifier, which names rules, publishes nothing else."""
    import random

    tps = _tps_codes(election_dir)[0]
    swapped = inject(_sheet(election_dir, tps, Contest.DPR), "swap", random.Random(3))
    with Ingestor.open(election_dir) as ingestor:
        receipt = ingestor.submit(_signed(election_dir, swapped))
        assert isinstance(receipt, Receipt) and receipt.verdict == "flagged"
        assert [f.code for f in receipt.flags] == ["CH-VALID-SUM", "CH-VALID-SUM"]
        assert receipt.flags[0].fields != receipt.flags[1].fields
        doc = ingestor.sequencer.documents([("tps", tps)])[0]
    assert doc is not None
    dpr = next(c for c in json.loads(doc.body)["contests"] if c["contest"] == "dpr")
    assert dpr["current"]["flags"] == ["CH-VALID-SUM"]
    # after a restart the version is rebuilt from the stored receipt: the same
    with Ingestor.open(election_dir) as ingestor:
        again = ingestor.sequencer.documents([("tps", tps)])[0]
    assert again is not None
    dpr = next(c for c in json.loads(again.body)["contests"] if c["contest"] == "dpr")
    assert dpr["current"]["flags"] == ["CH-VALID-SUM"]


def test_the_same_bytes_again_get_the_same_receipt_and_change_nothing(
    election_dir: Path,
) -> None:
    tps = _tps_codes(election_dir)[0]
    raw = _signed(election_dir, _sheet(election_dir, tps))
    with Ingestor.open(election_dir) as ingestor:
        first = ingestor.submit(raw)
        size = ingestor.log.size
        again = ingestor.submit_many([raw, raw])
    assert isinstance(first, Receipt)
    for outcome in again:
        assert isinstance(outcome, Receipt) and outcome.duplicate
        assert (outcome.index, outcome.leaf_hash) == (first.index, first.leaf_hash)
    assert _log_size(election_dir) == size
    with Ingestor.open(election_dir) as reopened:  # idempotent across restarts too
        later = reopened.submit(raw)
    assert isinstance(later, Receipt) and later.duplicate and later.index == first.index


def test_a_superseded_version_and_a_control_document_resent_get_their_receipts(
    election_dir: Path,
) -> None:
    # A resent sheet is found in its slot's history, not by an index of leaf
    # hashes (schema 3): an older, superseded version too. Control documents
    # keep their index.
    tps = _tps_codes(election_dir)[0]
    sheet = _sheet(election_dir, tps)
    older = _signed(election_dir, sheet)
    newer = _signed(election_dir, msgspec.structs.replace(sheet, revision=2))
    with Ingestor.open(election_dir) as ingestor:
        first, second = ingestor.submit(older), ingestor.submit(newer)
        manifest = ingestor.log.entry(0)
        size = ingestor.log.size
        resent = ingestor.submit_many([older, manifest, newer])
    assert isinstance(first, Receipt) and isinstance(second, Receipt)
    with Ingestor.open(election_dir) as reopened:  # from the restored tally too
        again = reopened.submit_many([older, manifest, newer])
    for outcomes in (resent, again):
        assert all(isinstance(o, Receipt) and o.duplicate for o in outcomes)
        assert [(o.index, o.leaf_hash) for o in outcomes] == [  # type: ignore[union-attr]
            (first.index, first.leaf_hash), (0, leaf_hash(manifest).hex()),
            (second.index, second.leaf_hash)]
    assert _log_size(election_dir) == size


def test_a_batch_is_sequenced_in_order(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    with Election.open(election_dir) as election:
        contests = election.contests_at(tps)
    raws = [_signed(election_dir, _sheet(election_dir, tps, c)) for c in contests]
    size = _log_size(election_dir)
    with Ingestor.open(election_dir) as ingestor:
        outcomes = ingestor.submit_many(raws)
    assert [o.index for o in outcomes if isinstance(o, Receipt)] == list(
        range(size, size + len(raws))
    )


def test_a_ppk_correction_needs_a_reason(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    ppk = load_authority(election_dir, Role.KECAMATAN, tps[:6], None)
    sheet = _sheet(election_dir, tps)
    without = _signed(election_dir, msgspec.structs.replace(sheet, revision=2), ppk)
    with_reason = _signed(
        election_dir,
        msgspec.structs.replace(sheet, revision=2, reason="salah tulis di pleno PPK"),
        ppk,
    )
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(without), "CORRECTION-REASON")
        assert isinstance(ingestor.submit(with_reason), Receipt)


# ------------------------------------------------------------ refused: trust


def test_a_sheet_signed_by_another_tps_key_is_refused(election_dir: Path) -> None:
    mine, other = _tps_codes(election_dir)
    forged = _signed(
        election_dir,
        _sheet(election_dir, mine),
        device_key(load_master(election_dir, None), other),
    )
    size = _log_size(election_dir)
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(forged), "KEY-WRONG-TPS")
    assert _log_size(election_dir) == size


def test_a_sheet_signed_by_an_unenrolled_key_is_refused(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    raw = _signed(election_dir, _sheet(election_dir, tps), SigningKey.generate())
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(raw), "KEY-UNKNOWN")


def test_a_sheet_altered_after_signing_is_refused(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    sheet = _sheet(election_dir, tps)
    signed = env.decode(_signed(election_dir, sheet))
    first = sheet.votes.tickets[0]
    altered = with_counts(sheet, {"votes.tickets[0].votes": first.votes + 1,
                                  "totals.A": sheet.totals.A + 1,
                                  "totals.C": sheet.totals.C + 1})
    tampered = env.encode(msgspec.structs.replace(signed, payload=encode(altered)))
    size = _log_size(election_dir)
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(tampered), "SIG-INVALID")
    assert _log_size(election_dir) == size


def test_a_revoked_key_signs_nothing_accepted_after_its_revocation(
    election_dir: Path,
) -> None:
    tps = _tps_codes(election_dir)[0]
    before = _signed(election_dir, _sheet(election_dir, tps, Contest.PPWP))
    after = _signed(election_dir, _sheet(election_dir, tps, Contest.DPD))
    with Ingestor.open(election_dir) as ingestor:
        assert isinstance(ingestor.submit(before), Receipt)
    assert main(["keys", "revoke", str(election_dir), "--key", tps,
                 "--reason", "perangkat hilang / device lost"]) == 0
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(after), "KEY-REVOKED")
        again = ingestor.submit(before)  # already in the log before the revocation
        assert isinstance(again, Receipt) and again.duplicate


# ------------------------------------------------------------ refused: form


def test_a_party_not_on_this_ballot_is_refused(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    sheet = _sheet(election_dir, tps, Contest.DPR)
    doc = json.loads(encode(sheet))
    doc["votes"]["parties"][0]["number"] = 21  # Partai Aceh, outside Aceh
    payload = msgspec.json.encode(doc, order="sorted")
    key = device_key(load_master(election_dir, None), tps)
    raw = env.encode(env.sign(TYPE_SHEET, payload, [key]))
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(raw), "CH-BALLOT")


def test_a_payload_that_is_not_canonical_is_refused(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    pretty = json.dumps(json.loads(encode(_sheet(election_dir, tps))), indent=2).encode()
    key = device_key(load_master(election_dir, None), tps)
    raw = env.encode(env.sign(TYPE_SHEET, pretty, [key]))
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(raw), "CH-CANONICAL")


def test_an_enormous_document_is_refused_before_parsing(election_dir: Path) -> None:
    with Ingestor.open(election_dir) as ingestor:
        _refused(ingestor.submit(b"{" + b" " * MAX_ENTRY_BYTES + b"}"), "ENTRY-TOO-LARGE")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_garbage_is_refused_never_raised(election_dir: Path, junk: bytes) -> None:
    with Ingestor.open(election_dir) as ingestor:
        size = ingestor.log.size
        assert isinstance(ingestor.submit(junk), Refusal)
        assert ingestor.log.size == size


# ------------------------------------------------------------ the command


def test_saksi_ingest_prints_one_json_line_per_document_and_exits_by_the_worst(
    election_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, other = _tps_codes(election_dir)
    good = tmp_path / "good.json"
    good.write_bytes(_signed(election_dir, _sheet(election_dir, mine)) + b"\n")
    forged = tmp_path / "forged.json"
    forged.write_bytes(_signed(election_dir, _sheet(election_dir, mine, Contest.DPD),
                               device_key(load_master(election_dir, None), other)))
    capsys.readouterr()
    assert main(["ingest", str(election_dir), str(good)]) == 0
    assert main(["ingest", str(election_dir), str(good), str(forged)]) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["status"], r["file"]) for r in lines] == [
        ("accepted", str(good)), ("accepted", str(good)), ("refused", str(forged))]
    assert lines[1]["duplicate"] is True and lines[1]["index"] == lines[0]["index"]


def test_a_stale_revision_is_refused_offline_exactly_as_over_http(election_dir: Path) -> None:
    tps = _tps_codes(election_dir)[0]
    sheet = _sheet(election_dir, tps)
    second = _signed(election_dir, msgspec.structs.replace(sheet, revision=2))
    first = _signed(election_dir, sheet)
    with Ingestor.open(election_dir) as ingestor:
        assert isinstance(ingestor.submit(second), Receipt)
        size = ingestor.log.size
        _refused(ingestor.submit(first), "REVISION-STALE")
        assert ingestor.log.size == size
