"""The sequential pass: the trust chain by log position (docs/envelope-format.md §4,
ADR 0001) and which sheet version is current (docs/recapitulation.md §1).

Consumes the workers' compact results in log order; holds only small state
that is saved between incremental runs."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from saksi.audit.envelope import (
    TYPE_MANIFEST,
    TYPE_SHEET,
    Authority,
    Enrolment,
    Manifest,
    Revocation,
)
from saksi.audit.report import Report
from saksi.audit.scan import ControlFacts, EntryResult, SheetFacts

# key record: role, scope, introduced at, revoked at (-1: never), issuer keyid,
# tps ("" unless a device)
KeyRec = list[Any]
ROLE, SCOPE, INTRO, REVOKED, ISSUER, TPS = range(6)


class Current(msgspec.Struct, array_like=True):
    """The current version of one (TPS, contest) and its contribution."""

    index: int
    rank: int
    revision: int
    flags: tuple[str, ...]  # the rules it breaks (docs/sheet-format.md §3), in rule order
    # DPT, voters, valid, invalid, total and the vote lists in the order of the TPS's
    # ballot (index.ElectionIndex.ballot), packed by sheet.pack
    votes: bytes
    versions: int = 1  # accepted versions so far (history length without stale ones)
    history: tuple[int, ...] = ()  # log indices of the accepted versions, oldest first


class TrustState(msgspec.Struct):
    manifest: dict[str, str] | None = None
    keys: dict[str, KeyRec] = msgspec.field(default_factory=dict)
    publics: dict[str, str] = msgspec.field(default_factory=dict)  # keyid -> hex public key
    last_sheet: int = -1  # highest index of a sheet version the tally takes (API as_of_index)
    current: dict[str, Current] = msgspec.field(default_factory=dict)  # "tps/contest"


def _covers(scope: str, code: str) -> bool:
    return scope == "0" or code.startswith(scope)


def _overlaps(a: str, b: str) -> bool:
    return a == "0" or b == "0" or a.startswith(b) or b.startswith(a)


class Tally(Protocol):
    """What follows the current versions as they change (``totals.Cells``)."""

    def change(self, key: str, old: Current | None, new: Current) -> None: ...


class Replay:
    def __init__(self, state: TrustState, report: Report, *, origin: str,
                 election_sha256: str, root_key: str | None = None,
                 tally: Tally | None = None) -> None:
        self.s = state
        self.tally = tally
        self.report = report
        self.origin = origin
        self.election_sha256 = election_sha256
        self.root_key = root_key

    # -- keys -----------------------------------------------------------------
    def _valid(self, keyid: str, at: int) -> KeyRec | None:
        k = self.s.keys.get(keyid)
        if k is None or not k[INTRO] < at or (k[REVOKED] >= 0 and at >= k[REVOKED]):
            return None
        return k

    def _fail(self, index: int, code: str, message: str, **where: Any) -> None:
        self.report.add("trust", code, message, index=index, **where)

    # -- one entry ---------------------------------------------------------------
    def apply(self, r: EntryResult) -> None:
        index, ptype, error, signers, verdicts, facts = r
        self.report.entries_checked += 1
        if error:
            check = "rules" if error.startswith("CH-") else "entry"
            self.report.add(check, error, "the log holds a document that must be refused",
                            index=index)
            return
        if self.s.manifest is None and ptype != TYPE_MANIFEST:
            self._fail(index, "NO-MANIFEST", "a document before the election manifest")
            return
        if 0 in verdicts:
            bad = [k for k, v in zip(signers, verdicts, strict=True) if v == 0]
            self._fail(index, "SIG-INVALID", f"signature does not verify: {bad[0]}")
            return
        if -1 in verdicts and any(v == -1 and self._valid(k, index) is not None
                                  for k, v in zip(signers, verdicts, strict=True)):
            # a signature nobody checked grants nothing, whatever the key's standing
            self._fail(index, "SIG-UNCHECKED", "a signature by a valid key was not checked")
            return
        if ptype == TYPE_SHEET:
            self.report.sheets += 1
            assert isinstance(facts, tuple)
            self._sheet(index, signers, verdicts, facts)
        else:
            self.report.controls += 1
            assert isinstance(facts, tuple)
            self._control(index, signers, facts)

    def _control(self, index: int, signers: tuple[str, ...], facts: ControlFacts) -> None:
        doc, named = facts  # named: the keyid of the key the document names
        keys = self.s.keys
        if len(signers) != 1:
            self._fail(index, "SIG-COUNT", "a control document carries exactly one signature")
            return
        signer = signers[0]
        if isinstance(doc, Manifest):
            if self.s.manifest is not None:
                self._fail(index, "MANIFEST-DUPLICATE", "a second election manifest")
                return
            root_id = named
            if signer != root_id:
                self._fail(index, "SIG-INVALID", "the manifest is not signed by its root key")
                return
            if self.root_key is not None and doc.root_key != self.root_key:
                self._fail(index, "ROOT-MISMATCH", "manifest root key is not the pinned one",
                           expected=self.root_key, published=doc.root_key)
            if doc.log_origin != self.origin:
                self._fail(index, "ORIGIN-MISMATCH", "manifest names another log origin",
                           expected=self.origin, published=doc.log_origin)
            if doc.election_sha256 != self.election_sha256:
                self._fail(index, "ELECTION-MISMATCH",
                           "manifest names another election index",
                           expected=self.election_sha256, published=doc.election_sha256)
            self.s.manifest = {"root": root_id, "scope": doc.scope}
            keys[root_id] = ["root", doc.scope, index, -1, "", ""]
            return
        assert self.s.manifest is not None
        if isinstance(doc, Revocation):
            target = keys.get(doc.keyid)
            s = self._valid(signer, index)
            if target is None:
                self._fail(index, "REVOKE-TARGET-UNKNOWN", f"revokes unknown key {doc.keyid}")
            elif target[ROLE] == "root":
                self._fail(index, "REVOKE-ROOT", "the root key cannot be revoked in the log")
            elif target[REVOKED] >= 0:
                self._fail(index, "REVOKE-DUPLICATE", f"key {doc.keyid} already revoked")
            elif s is None or signer not in (self.s.manifest["root"], target[ISSUER], doc.keyid):
                self._fail(index, "KEY-UNKNOWN" if s is None else "KEY-WRONG-ROLE",
                           "revocation signed by a key that may not revoke this one")
            else:
                target[REVOKED] = index
            return
        issuer = self._valid(signer, index)
        new_id = named
        if isinstance(doc, Authority):
            if issuer is None or issuer[ROLE] != "root":
                self._fail(index, "KEY-WRONG-ROLE", "authority certificate not signed by the root")
            elif not _overlaps(doc.scope, self.s.manifest["scope"]):
                self._fail(index, "KEY-OUT-OF-SCOPE", f"authority scope {doc.scope} is outside "
                           f"the election {self.s.manifest['scope']}", region=doc.scope)
            elif new_id in keys:
                self._fail(index, "KEY-DUPLICATE", f"key {new_id} already introduced")
            else:
                keys[new_id] = [doc.role, doc.scope, index, -1, signer, ""]
            return
        assert isinstance(doc, Enrolment)
        if issuer is None:
            self._fail(index, "KEY-UNKNOWN", "enrolment signed by an unknown or revoked key",
                       tps=doc.tps)
        elif issuer[ROLE] != "kabkota":
            self._fail(index, "KEY-WRONG-ROLE", "enrolment not signed by a kab/kota authority",
                       tps=doc.tps)
        elif not doc.tps.startswith(issuer[SCOPE]):
            self._fail(index, "KEY-OUT-OF-SCOPE", "enrolment for a TPS outside the authority",
                       tps=doc.tps, region=issuer[SCOPE])
        elif new_id in keys:
            self._fail(index, "KEY-DUPLICATE", f"key {new_id} already introduced", tps=doc.tps)
        else:
            keys[new_id] = ["device", doc.tps, index, -1, signer, doc.tps]

    def _sheet(self, index: int, signers: tuple[str, ...], verdicts: tuple[int, ...],
               f: SheetFacts) -> None:
        if f[4] != 1:
            self._refuse("rules", "CH-BALLOT", "the sheet does not match the ballot of its TPS"
                         if f[4] == 0 else "no such TPS or contest in this election",
                         index, f)
            return
        tps = f[0]
        first = self._valid(signers[0], index)
        if first is None:
            self._refuse("trust", "KEY-REVOKED" if signers[0] in self.s.keys else "KEY-UNKNOWN",
                         "the submitter's key is not valid at this index", index, f)
            return
        if first[ROLE] == "device":
            if first[TPS] != tps:
                self._refuse("trust", "KEY-WRONG-TPS", f"signed by the device of TPS "
                             f"{first[TPS]}", index, f, expected=tps, published=first[TPS])
                return
            rank = 0
        elif first[ROLE] == "kecamatan" and tps.startswith(first[SCOPE]):
            rank = 1
            if not f[3]:
                self._refuse("history", "CORRECTION-REASON", "a PPK correction without a "
                             "reason", index, f)
                return
        else:
            self._refuse("trust", "KEY-WRONG-ROLE", f"submitter role {first[ROLE]} (scope "
                         f"{first[SCOPE]}) may not sign this sheet", index, f)
            return
        if len(signers) > 1:
            for k in signers[1:]:
                w = self._valid(k, index)
                if w is None or w[ROLE] != "witness" or not _covers(w[SCOPE], tps):
                    self._refuse("trust", "KEY-WRONG-ROLE", f"cosigner {k} is not a valid "
                                 "witness for this TPS", index, f)
                    return
        del verdicts
        key = f"{tps}/{f[1]}"
        state = self.s
        state.last_sheet = index
        revision = f[2]
        old = state.current.get(key)
        if old is not None and (rank, revision) <= (old.rank, old.revision):
            self._refuse("history", "REVISION-STALE",
                         f"version (rank {rank}, revision {revision}) does not supersede "
                         f"(rank {old.rank}, revision {old.revision}) at index {old.index}",
                         index, f, expected=[old.rank, old.revision],
                         published=[rank, revision])
            return
        # the workers' flags tuple as it is: () for nearly every sheet, shared
        new = state.current[key] = Current(index, rank, revision, f[5], f[6],
                                           1 if old is None else old.versions + 1,
                                           (index,) if old is None else (*old.history, index))
        if self.tally is not None:
            self.tally.change(key, old, new)

    def _refuse(self, check: str, code: str, message: str, index: int, f: SheetFacts,
                **extra: Any) -> None:
        """A sheet version the tally does not take, named by index, TPS and contest."""
        self.report.add(check, code, message, index=index, tps=f[0], contest=f[1], **extra)
