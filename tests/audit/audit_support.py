"""Build signed, ingested test elections with the saksi package (tests may use it)."""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.audit.commands import register
from saksi.audit.envelope import keyid_of, pae
from saksi.audit.sheet import BallotSpec, Sheet, TpsInfo, facts_of, judge, unpack
from saksi.cli import main


def build(directory: Path, *, tps_limit: int = 40, seed: int = 11, ppk: int = 0) -> str:
    """A kecamatan election, keys, and every contest's sheet for ``tps_limit`` TPS,
    a few flagged and a few revised, and ``ppk`` PPK corrections (dpr, with a reason);
    returns the log's vkey."""
    from saksi.election import Election
    from saksi.ingest import Ingestor
    from saksi.keys import envelope as env
    from saksi.keys.envelope import TYPE_SHEET
    from saksi.keys.hierarchy import load_master
    from saksi.keys.simulation import device_key
    from saksi.sheets.canonical import encode
    from saksi.sheets.generate import generate_sheet
    from saksi.sheets.inject import inject

    assert main(["election", "init", str(directory), "--scale", "kecamatan",
                 "--seed", str(seed)]) == 0
    assert main(["keys", "init", str(directory)]) == 0
    master = load_master(directory, None)
    import random

    rng = random.Random(seed)
    docs: list[bytes] = []
    with Election.open(directory) as election:
        for n, tps in enumerate(list(election.iter_tps())[:tps_limit]):
            key = device_key(master, tps.code)
            for contest in election.contests_at(tps.code):
                sheet = generate_sheet(election.ballot(tps.code, contest), tps, seed)
                if n % 7 == 3 and contest.value == "ppwp":
                    sheet = inject(sheet, "digit-inserted", rng)
                if n % 7 == 4 and contest.value == "dprd-prov":
                    # two parties' totals swapped: the rule breaks twice, is named once
                    sheet = inject(sheet, "swap", rng)
                docs.append(env.encode(env.sign(TYPE_SHEET, encode(sheet), [key])))
                if n % 9 == 5 and contest.value == "dpr":  # a second revision
                    import msgspec

                    again = msgspec.structs.replace(sheet, revision=2)
                    docs.append(env.encode(env.sign(TYPE_SHEET, encode(again), [key])))
                if n < ppk and contest.value == "dpr":  # the PPK corrects the count
                    import msgspec

                    from saksi.sim.signer import SimSigner

                    fixed = msgspec.structs.replace(sheet, reason="koreksi rekap kecamatan")
                    docs.append(SimSigner(directory).ppk(fixed))
    with Ingestor.open(directory) as ingestor:
        for i in range(0, len(docs), 50):  # several checkpoints
            ingestor.submit_many(docs[i:i + 50])
        vkey: str = ingestor.log.vkey
    return vkey


# (matches the ballot, flags, votes per choice, party-only votes, candidate votes), the
# vote lists aligned with the BallotSpec (candidates flattened party by party)
Assessed = tuple[bool, tuple[str, ...], list[int], list[int], list[int]]
_MISMATCH: Assessed = (False, (), [], [], [])


def assess(s: Sheet, spec: BallotSpec, tps: TpsInfo) -> Assessed:
    """``judge`` of the sheet's facts, with the vote lists unpacked: the verifier's sheet
    check written out in Python, for tests to compare with the writer's rules."""
    f = facts_of(s)
    ok, flags = judge(f, spec, tps)
    if not ok:
        return _MISMATCH
    words = unpack(f.votes)
    n = len(spec.numbers)
    choices = words[5:5 + n]
    if not spec.party:
        return True, flags, choices, [], []
    return True, flags, choices, words[5 + n:5 + 2 * n], words[5 + 2 * n:]


def accel_module() -> ModuleType:
    """The C accelerator, for a test module about it: without it the module is skipped,
    except under CI=true, where that is a failure (CI installs a compiler)."""
    try:
        from saksi.audit import _accel
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("saksi.audit._accel is not built (no C compiler at install?)",
                        pytrace=False)
        pytest.skip("saksi.audit._accel is not built", allow_module_level=True)
    return _accel


def mutations(data: bytes, max_edits: int = 4) -> st.SearchStrategy[bytes]:
    """``data`` with bytes flipped, inserted or deleted somewhere."""
    def apply(edits: list[tuple[int, int, int]]) -> bytes:
        out = bytearray(data)
        for kind, where, value in edits:
            pos = where % (len(out) + 1)
            if kind == 0 and pos < len(out):
                out[pos] ^= value or 1
            elif kind == 1:
                out.insert(pos, value)
            elif pos < len(out):
                del out[pos]
        return bytes(out)
    edit = st.tuples(st.integers(0, 2), st.integers(0, 1 << 16), st.integers(0, 255))
    return st.lists(edit, min_size=1, max_size=max_edits).map(apply)


def envelope(payload_type: str, payload: bytes, keys: list[SigningKey]) -> bytes:
    """A canonical envelope of ``payload`` signed by ``keys`` (the writer's spelling)."""
    sigs = [{"keyid": keyid_of(bytes(k.verify_key)),
             "sig": base64.b64encode(k.sign(pae(payload_type, payload)).signature).decode()}
            for k in keys]
    return json.dumps({"payload": base64.b64encode(payload).decode(),
                       "payloadType": payload_type, "signatures": sigs},
                      separators=(",", ":")).encode()


# -- running the verifier on a log, and rewriting a log (attack scenarios) ---------
def verify(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["verify", *argv, "--json", "--workers", "2"])
    code = args.handler(args)
    out = capsys.readouterr().out
    return code, json.loads(out)


def codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"]}


def rebuild(directory: Path, entries: list[bytes]) -> None:
    from saksi.ledger.log import Log, LogKey

    seed = (directory / "ledger/log.key").read_bytes()
    origin = json.loads((directory / "ledger/config.json").read_text())["origin"]
    shutil.rmtree(directory / "ledger")
    shutil.rmtree(directory / "log")
    with Log.create(directory, origin=origin, key=LogKey(seed)) as log:
        log.append_many(entries)


def entries_of(directory: Path) -> list[bytes]:
    from saksi.ledger.log import Log

    with Log.open(directory, readonly=True) as log:
        return list(log.entries())
