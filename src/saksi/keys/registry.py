"""The trust registry: which keys may sign what, at which log position.

Pure, no I/O. Fed the log's entries in order (``observe``), it follows the
chain root → authority certificate → enrolment and every revocation, keyed by
log index, and answers whether a sheet envelope is acceptable at a given log
position (``check_sheet``). A key certified at index ``c`` and revoked at
index ``r`` signs acceptably at positions ``c < i < r``. Revoking an authority
does not undo what it validly did before (see docs/adr/0001-trust-chain.md).

A service restarting on a long log need not replay it: ``Registry.restore``
rebuilds the same registry from the index the service keeps of that log
(one row per enrolled device, plus the few other control entries).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec
import nacl.bindings
import nacl.exceptions

from saksi.errors import InputError, StateError
from saksi.keys.envelope import (
    CONTROL_TYPES,
    TYPE_SHEET,
    Envelope,
    EnvelopeError,
    decode,
    pae,
)
from saksi.keys.ids import Role, key_id
from saksi.keys.payloads import (
    TPS_CODE_PATTERN,
    AuthorityCertificate,
    ControlDocument,
    Enrolment,
    Manifest,
    Revocation,
    decode_payload,
)

_TPS = re.compile(TPS_CODE_PATTERN)

# Reason codes and their bilingual messages ({k} is a key id, {x} extra detail).
MESSAGES: dict[str, tuple[str, str]] = {
    "OK": ("diterima", "accepted"),
    "SHEET-NOT-CHECKED": (
        "lembar hasil tidak mengubah registri; periksa dengan check_sheet",
        "a sheet does not change the registry; check it with check_sheet",
    ),
    "ENVELOPE-MALFORMED": ("amplop tidak sah: {x}", "malformed envelope: {x}"),
    "ENVELOPE-NONCANONICAL": ("amplop tidak kanonik", "envelope is not canonical"),
    "ENVELOPE-TOO-LARGE": ("amplop terlalu besar", "envelope too large"),
    "PAYLOAD-TYPE": ("jenis muatan tidak sesuai: {x}", "unexpected payload type: {x}"),
    "PAYLOAD-INVALID": ("muatan tidak sah: {x}", "invalid payload: {x}"),
    "SIG-COUNT": ("jumlah tanda tangan tidak sah", "wrong number of signatures"),
    "SIG-DUPLICATE": ("kunci yang sama menandatangani dua kali", "the same key signed twice"),
    "SIG-INVALID": (
        "tanda tangan kunci {k} tidak sah (dokumen diubah atau tanda tangan palsu)",
        "signature by key {k} is invalid (document altered or signature forged)",
    ),
    "KEY-UNKNOWN": (
        "kunci {k} tidak terdaftar pada posisi log ini",
        "key {k} is not enrolled at this log position",
    ),
    "KEY-REVOKED": (
        "kunci {k} dicabut pada indeks log {x}",
        "key {k} was revoked at log index {x}",
    ),
    "KEY-WRONG-TPS": (
        "kunci {k} terdaftar untuk TPS {x}, bukan TPS ini",
        "key {k} is enrolled for TPS {x}, not this one",
    ),
    "KEY-OUT-OF-SCOPE": (
        "kunci {k} berwenang di wilayah {x}, di luar dokumen ini",
        "key {k} has authority over region {x}, outside this document",
    ),
    "KEY-WRONG-ROLE": (
        "kunci {k} berperan {x} dan tidak boleh menandatangani dokumen ini",
        "key {k} has role {x} and may not sign this document",
    ),
    "KEY-DUPLICATE": (
        "kunci {k} sudah terdaftar",
        "key {k} is already registered",
    ),
    "NO-MANIFEST": (
        "manifes pemilu belum ada di log",
        "the election manifest is not in the log yet",
    ),
    "MANIFEST-DUPLICATE": ("manifes pemilu sudah ada", "the election manifest already exists"),
    "ROOT-MISMATCH": (
        "manifes ditandatangani kunci akar yang tidak diharapkan {k}",
        "manifest signed by an unexpected root key {k}",
    ),
    "REVOKE-TARGET-UNKNOWN": ("kunci {k} yang dicabut tidak dikenal", "revoked key {k} is unknown"),
    "REVOKE-DUPLICATE": ("kunci {k} sudah dicabut", "key {k} is already revoked"),
    "REVOKE-ROOT": ("kunci akar tidak dapat dicabut", "the root key cannot be revoked"),
    "TPS-INVALID": ("kode TPS tidak sah: {x}", "invalid TPS code: {x}"),
}


_OK_CODES = frozenset({"OK", "SHEET-NOT-CHECKED"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The registry's answer. ``role``/``scope`` describe the first signer."""

    ok: bool
    code: str
    message_id: str
    message_en: str
    signer: str | None = None
    role: Role | None = None
    scope: str | None = None
    cosigners: tuple[str, ...] = ()


def _verdict(
    code: str,
    k: str = "",
    x: object = "",
    *,
    signer: str | None = None,
    role: Role | None = None,
    scope: str | None = None,
    cosigners: tuple[str, ...] = (),
) -> Verdict:
    mid, men = MESSAGES[code]
    if "{" in mid or "{" in men:  # (the sequencer asks for an "OK" per sheet)
        mid, men = mid.format(k=k, x=x), men.format(k=k, x=x)
    return Verdict(
        code in _OK_CODES,
        code,
        mid,
        men,
        signer,
        role,
        scope,
        cosigners,
    )


class KeyRecord(msgspec.Struct, frozen=True, gc=False):
    """One key and where it came from. A frozen struct rather than a
    dataclass: a national registry holds ~830,000 of them, and a struct is
    built several times faster, is smaller, and (holding only strings,
    bytes and ints, so never part of a cycle) is left alone by the cyclic
    garbage collector."""

    keyid: str
    public_key: bytes
    role: Role
    scope: str  # region code; for a device, its TPS code
    name: str
    valid_from: int  # log index of the document that introduced the key
    issuer: str | None  # key id of the signer of that document (None: root)


DeviceRow = tuple[int, str, bytes, str, str | None]
"""A device key as the service's index keeps it: (log index of its
enrolment, key id, public key, TPS code, key id of the enrolment's signer or
None where the chain implies it; see ``Registry.restore``)."""


class TrustIndex(Protocol):
    """What ``Registry.restore`` reads: an index of the control entries below
    some log position (``saksi.store.base.TrustRows``)."""

    @property
    def control(self) -> Iterable[tuple[int, bytes | Envelope]]:
        """(index, entry) of every control entry but the enrolments, in log order."""
        ...

    @property
    def devices(self) -> Iterable[DeviceRow]:
        """The device keys the enrolments introduced, in log order."""
        ...

    @property
    def enrolments(self) -> int:
        """How many enrolment entries the indexed part of the log holds."""
        ...

    @property
    def enrolment_index_sum(self) -> int:
        """The sum of their log indices."""
        ...


def _contains(scope: str, code: str) -> bool:
    return scope == "0" or code.startswith(scope)


def _sig_ok(public_key: bytes, message: bytes, sig: bytes) -> bool:
    try:
        nacl.bindings.crypto_sign_open(sig + message, public_key)
    except nacl.exceptions.BadSignatureError:
        return False
    return True


class Registry:
    """Keys and their validity intervals, built from the log in order."""

    def __init__(self, root_key: bytes | None = None) -> None:
        # If given, the manifest must name exactly this root key (pinning);
        # otherwise the first manifest observed is trusted and must be
        # compared out of band with the root key KPU publishes.
        self._pinned_root = root_key
        self.manifest: Manifest | None = None
        self.root: KeyRecord | None = None
        self.last_index = -1
        self._keys: dict[str, KeyRecord] = {}
        self._revoked: dict[str, int] = {}

    @classmethod
    def restore(cls, root_key: bytes | None, index: TrustIndex) -> Registry:
        """The registry a replay of a log's control entries would build, from
        the service's index of that log instead of the log itself.

        ``index.control`` is every control entry *except* the enrolments (the
        manifest, authority certificates, revocations: a few thousand at
        national scale), in log order. They are observed exactly as in a
        replay (``verify=False``), so the manifest, the authorities' names and
        issuers and every revocation are the log's own. ``index.devices`` are
        the keys the enrolments introduced (one per TPS, hundreds of
        thousands), in log order; each is admitted only as its enrolment was,
        at its index: signed by a kab/kota authority valid there whose region
        holds the TPS, and a key not seen before. A row need not name that
        signer where the region had one kab/kota authority valid at the
        index: the chain leaves no other choice.

        The rows are trusted for what they alone carry (the enrolment's key
        and TPS, and that its signature was checked), as a replay with
        ``verify=False`` trusts the log: they were written by the writer that
        accepted the entry, in the same transaction. Not even the key id is
        re-derived from the public key: hashing ~830,000 keys costs nearly as
        much as the rest of the restore, and a row forged whole would pass it
        anyway; a replay of the log (every auditor's) refuses whatever such a
        row let in.

        Raises :class:`StateError` when the rows cannot be what the log's
        entries introduced (out of order, a device the chain refuses, an
        enrolment count or index sum that differs): the caller then replays
        the log, which decides.
        """
        registry = cls(root_key)
        keys, revoked = registry._keys, registry._revoked
        # kab/kota region → its authorities' key ids, for rows naming no signer.
        kabkota: dict[str, list[str]] = {}
        pending = iter(index.control)
        waiting = next(pending, None)
        # The loop below runs once per TPS: the rare control entries are taken
        # in only when a row passes the next one, and everything read per row
        # is a local.
        next_control = _NEVER if waiting is None else waiting[0]
        last, ready = -1, False
        admitted = position_sum = 0
        for at, keyid, public_key, tps, named in index.devices:
            if at >= next_control:
                registry.last_index = last
                while waiting is not None and waiting[0] < at:
                    registry._observe_indexed(waiting[0], waiting[1], kabkota)
                    waiting = next(pending, None)
                next_control = _NEVER if waiting is None else waiting[0]
                last, ready = registry.last_index, registry.manifest is not None
            if at <= last or at == next_control:
                raise _unrestorable(at, "urutan atau posisi ganda", "out of order or shared")
            if named is not None:
                signer = named
            else:
                # A kab/kota scope is its 4-character code, the TPS code's prefix.
                candidates = kabkota.get(tps[:4])
                if candidates is not None and len(candidates) == 1:
                    signer = candidates[0]
                else:
                    signer = _implied_signer(at, candidates, revoked)
            # The checks of an enrolment in _check_control, on the row. (An
            # issuer's scope is never "0": a kab/kota scope has 4 characters.)
            issuer = keys.get(signer)
            if (not ready or issuer is None or issuer.role is not Role.KABKOTA
                    or issuer.valid_from >= at or not tps.startswith(issuer.scope)):
                raise _unrestorable(at, "penanda tangan tidak berwenang",
                                    "signer not an authority for it there")
            issuer_revoked = revoked.get(signer)
            if issuer_revoked is not None and issuer_revoked <= at:
                raise _unrestorable(at, "penanda tangan sudah dicabut", "signer revoked")
            # issuer.keyid, not the row's string: a few hundred authority ids
            # shared by every device rather than one copy per device.
            record = KeyRecord(keyid, public_key, Role.DEVICE, tps, tps, at, issuer.keyid)
            if keys.setdefault(keyid, record) is not record:
                raise _unrestorable(at, "kunci ganda", "duplicate key")
            last = at
            admitted += 1
            position_sum += at
        registry.last_index = last
        while waiting is not None:
            registry._observe_indexed(waiting[0], waiting[1], kabkota)
            waiting = next(pending, None)
        # Every enrolment entry introduced one device key: the rows must sit
        # at those positions (count and sum of indices: cheap, and off as soon
        # as a row is missing, extra or misplaced).
        if (admitted, position_sum) != (index.enrolments, index.enrolment_index_sum):
            raise StateError(
                f"indeks memuat {admitted} kunci perangkat (jumlah indeks {position_sum}) "
                f"untuk {index.enrolments} entri pendaftaran "
                f"(jumlah indeks {index.enrolment_index_sum})",
                f"the index holds {admitted} device keys (index sum {position_sum}) for "
                f"{index.enrolments} enrolment entries (index sum {index.enrolment_index_sum})")
        return registry

    def _observe_indexed(self, index: int, entry: bytes | Envelope,
                         kabkota: dict[str, list[str]]) -> None:
        """``observe`` for ``restore``, noting each kab/kota authority added."""
        size = len(self._keys)
        self.observe(index, entry, verify=False)
        if len(self._keys) > size:
            added = next(reversed(self._keys.values()))
            if added.role is Role.KABKOTA:
                kabkota.setdefault(added.scope, []).append(added.keyid)

    # --- queries -------------------------------------------------------
    def key(self, keyid: str) -> KeyRecord | None:
        return self._keys.get(keyid)

    def revoked_at(self, keyid: str) -> int | None:
        return self._revoked.get(keyid)

    def records(self) -> Iterator[KeyRecord]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def is_valid(self, keyid: str, at_index: int) -> bool:
        rec = self._keys.get(keyid)
        if rec is None or rec.valid_from >= at_index:
            return False
        revoked = self._revoked.get(keyid)
        return revoked is None or at_index < revoked

    def public_keys(self, envelope: Envelope) -> dict[str, bytes]:
        """Public keys of the envelope's known signers: the picklable input of
        ``saksi.keys.verify.verify_envelope_signatures`` in a process pool."""
        return {
            s.keyid: rec.public_key
            for s in envelope.signatures
            if (rec := self._keys.get(s.keyid)) is not None
        }

    # --- log replay ----------------------------------------------------
    def observe(self, index: int, entry: bytes | Envelope, *, verify: bool = True) -> Verdict:
        """Take log entry ``index`` into account. Entries must come in
        increasing index order; a refused control document changes nothing.
        ``verify=False`` skips signature checks for entries whose signatures
        were already verified (e.g. replaying one's own log)."""
        if index <= self.last_index:
            raise StateError(
                f"entri log harus berurutan: {index} setelah {self.last_index}",
                f"log entries must come in order: {index} after {self.last_index}",
            )
        verdict, document, envelope = self._check_control(entry, index, verify)
        self.last_index = index
        if verdict.ok and document is not None and envelope is not None:
            self._apply(index, envelope, document)
        return verdict

    def check_control(
        self, entry: bytes | Envelope, at_index: int, *, verify: bool = True
    ) -> Verdict:
        """Would this control document be accepted at ``at_index``? No change."""
        return self._check_control(entry, at_index, verify)[0]

    def _parse(self, entry: bytes | Envelope) -> Envelope | Verdict:
        if isinstance(entry, Envelope):
            return entry
        try:
            return decode(entry)
        except EnvelopeError as exc:
            return _verdict(exc.code, x=exc.message_en)

    def _check_control(
        self, entry: bytes | Envelope, index: int, verify: bool
    ) -> tuple[Verdict, ControlDocument | None, Envelope | None]:
        parsed = self._parse(entry)
        if isinstance(parsed, Verdict):
            return parsed, None, None
        env = parsed
        if env.payload_type == TYPE_SHEET:
            return _verdict("SHEET-NOT-CHECKED", signer=env.signer), None, None
        if env.payload_type not in CONTROL_TYPES:
            return _verdict("PAYLOAD-TYPE", x=env.payload_type), None, None
        try:
            doc = decode_payload(env.payload_type, env.payload)
        except InputError as exc:
            return _verdict("PAYLOAD-INVALID", x=exc.message_en), None, None
        if len(env.signatures) != 1:
            return _verdict("SIG-COUNT"), None, None
        sig = env.signatures[0]
        message = pae(env.payload_type, env.payload)

        if isinstance(doc, Manifest):
            root = bytes.fromhex(doc.root_key)
            root_id = key_id(root)
            if self.manifest is not None:
                return _verdict("MANIFEST-DUPLICATE"), None, None
            if self._pinned_root is not None and root != self._pinned_root:
                return _verdict("ROOT-MISMATCH", k=root_id), None, None
            if sig.keyid != root_id:
                return _verdict("KEY-WRONG-ROLE", k=sig.keyid, x="-"), None, None
            if verify and not _sig_ok(root, message, sig.sig):
                return _verdict("SIG-INVALID", k=sig.keyid), None, None
            return _verdict("OK", signer=root_id, role=Role.ROOT, scope=doc.scope), doc, env

        if self.manifest is None or self.root is None:
            return _verdict("NO-MANIFEST"), None, None
        signer = self._keys.get(sig.keyid)
        refused = self._signer_refusal(sig.keyid, signer, index)
        if refused is not None:
            return refused, None, None
        assert signer is not None
        role_refusal = _verdict("KEY-WRONG-ROLE", k=signer.keyid, x=signer.role.value)

        if isinstance(doc, AuthorityCertificate):
            if signer.role is not Role.ROOT:
                return role_refusal, None, None
            # An election may be smaller than its authorities (a kecamatan-scale
            # election still has its kab/kota's KPU), so the two regions must
            # overlap: one contains the other.
            scope = self.manifest.scope
            if not (_contains(scope, doc.scope) or _contains(doc.scope, scope)):
                return _verdict("KEY-OUT-OF-SCOPE", k=key_id(bytes.fromhex(doc.key)),
                                x=doc.scope), None, None
            new_id = key_id(bytes.fromhex(doc.key))
            if new_id in self._keys:
                return _verdict("KEY-DUPLICATE", k=new_id), None, None
        elif isinstance(doc, Enrolment):
            if signer.role is not Role.KABKOTA:
                return role_refusal, None, None
            if not _contains(signer.scope, doc.tps):
                return _verdict("KEY-OUT-OF-SCOPE", k=signer.keyid, x=signer.scope), None, None
            new_id = key_id(bytes.fromhex(doc.key))
            if new_id in self._keys:
                return _verdict("KEY-DUPLICATE", k=new_id), None, None
        elif isinstance(doc, Revocation):
            target = self._keys.get(doc.keyid)
            if target is None or target.valid_from >= index:
                return _verdict("REVOKE-TARGET-UNKNOWN", k=doc.keyid), None, None
            if target.role is Role.ROOT:
                return _verdict("REVOKE-ROOT"), None, None
            if doc.keyid in self._revoked:
                return _verdict("REVOKE-DUPLICATE", k=doc.keyid), None, None
            # The root revokes anything; an issuer what it issued; a key itself.
            if signer.role is not Role.ROOT and signer.keyid not in (
                target.issuer,
                target.keyid,
            ):
                return role_refusal, None, None
        if verify and not _sig_ok(signer.public_key, message, sig.sig):
            return _verdict("SIG-INVALID", k=sig.keyid), None, None
        return _verdict("OK", signer=signer.keyid, role=signer.role, scope=signer.scope), doc, env

    def _signer_refusal(
        self, keyid: str, rec: KeyRecord | None, index: int
    ) -> Verdict | None:
        if rec is None or rec.valid_from >= index:
            return _verdict("KEY-UNKNOWN", k=keyid)
        revoked = self._revoked.get(rec.keyid)
        if revoked is not None and revoked <= index:
            return _verdict("KEY-REVOKED", k=rec.keyid, x=revoked)
        return None

    def _apply(self, index: int, env: Envelope, doc: ControlDocument) -> None:
        if isinstance(doc, Manifest):
            root = bytes.fromhex(doc.root_key)
            rec = KeyRecord(key_id(root), root, Role.ROOT, doc.scope, "KPU", index, None)
            self.manifest, self.root = doc, rec
            self._keys[rec.keyid] = rec
        elif isinstance(doc, AuthorityCertificate):
            pk = bytes.fromhex(doc.key)
            rec = KeyRecord(key_id(pk), pk, doc.role, doc.scope, doc.name, index, env.signer)
            self._keys[rec.keyid] = rec
        elif isinstance(doc, Enrolment):
            pk = bytes.fromhex(doc.key)
            rec = KeyRecord(key_id(pk), pk, Role.DEVICE, doc.tps, doc.tps, index, env.signer)
            self._keys[rec.keyid] = rec
        else:
            self._revoked[doc.keyid] = index

    # --- sheets ----------------------------------------------------------
    def check_sheet(
        self,
        envelope: bytes | Envelope,
        tps_code: str,
        at_index: int,
        *,
        verified: bool = False,
    ) -> Verdict:
        """Whether a sheet envelope for ``tps_code`` (the TPS named inside the
        sheet — the caller decodes it) is acceptable at log position
        ``at_index``. The first signature is the submitter: that TPS's enrolled
        device, or the PPK (kecamatan authority) over it; further signatures
        must be witnesses whose scope covers the TPS. ``verified=True`` skips
        the Ed25519 checks already done by ``verify_envelope_signatures``."""
        parsed = self._parse(envelope)
        if isinstance(parsed, Verdict):
            return parsed
        env = parsed
        if env.payload_type != TYPE_SHEET:
            return _verdict("PAYLOAD-TYPE", x=env.payload_type)
        found = self._sheet_signers(env.keyids, tps_code, at_index)
        if isinstance(found, Verdict):
            return found
        submitter, cosigners = found
        if not verified:
            message = pae(env.payload_type, env.payload)
            for sig, rec in zip(env.signatures, (submitter, *cosigners), strict=True):
                if not _sig_ok(rec.public_key, message, sig.sig):
                    return _verdict("SIG-INVALID", k=sig.keyid)
        return self._sheet_ok(submitter, cosigners)


    def check_sheet_signers(self, keyids: Sequence[str], tps_code: str, at_index: int
                            ) -> Verdict:
        """``check_sheet`` of a sheet whose signatures were all verified against
        the keys these ids name (a key id is the hash of its key): only who
        signed, and where in the log, remain to be judged."""
        if not keyids:
            return _verdict("SIG-COUNT")
        found = self._sheet_signers(keyids, tps_code, at_index)
        if isinstance(found, Verdict):
            return found
        return self._sheet_ok(*found)

    def _sheet_signers(self, keyids: Sequence[str], tps_code: str, at_index: int
                       ) -> tuple[KeyRecord, list[KeyRecord]] | Verdict:
        """The submitter and cosigners of a sheet for ``tps_code`` at ``at_index``:
        the TPS's enrolled device or its PPK first, then witnesses covering it."""
        if not _TPS.match(tps_code):
            return _verdict("TPS-INVALID", x=tps_code)
        if self.manifest is None:
            return _verdict("NO-MANIFEST")
        first, *rest = keyids
        submitter = self._keys.get(first)
        refused = self._signer_refusal(first, submitter, at_index)
        if refused is not None:
            return refused
        assert submitter is not None
        if submitter.role is Role.DEVICE:
            if submitter.scope != tps_code:
                return _verdict("KEY-WRONG-TPS", k=submitter.keyid, x=submitter.scope)
        elif submitter.role is Role.KECAMATAN:
            if not _contains(submitter.scope, tps_code):
                return _verdict("KEY-OUT-OF-SCOPE", k=submitter.keyid, x=submitter.scope)
        else:
            return _verdict("KEY-WRONG-ROLE", k=submitter.keyid, x=submitter.role.value)
        cosigners: list[KeyRecord] = []
        for keyid in rest:
            rec = self._keys.get(keyid)
            refused = self._signer_refusal(keyid, rec, at_index)
            if refused is not None:
                return refused
            assert rec is not None
            if rec.role is not Role.WITNESS:
                return _verdict("KEY-WRONG-ROLE", k=rec.keyid, x=rec.role.value)
            if not _contains(rec.scope, tps_code):
                return _verdict("KEY-OUT-OF-SCOPE", k=rec.keyid, x=rec.scope)
            cosigners.append(rec)
        return submitter, cosigners

    @staticmethod
    def _sheet_ok(submitter: KeyRecord, cosigners: list[KeyRecord]) -> Verdict:
        return _verdict(
            "OK",
            signer=submitter.keyid,
            role=submitter.role,
            scope=submitter.scope,
            cosigners=tuple(r.keyid for r in cosigners),
        )


_NEVER = 2**63  # past any log index


def _implied_signer(at: int, candidates: list[str] | None, revoked: dict[str, int]) -> str:
    """The one kab/kota authority of a region valid at ``at`` (the rows of a
    region that ever had two are read with their signer named)."""
    valid = [k for k in candidates or () if revoked.get(k, _NEVER) > at]
    if len(valid) != 1:
        raise _unrestorable(at, "penanda tangan tidak disebut", "signer not named")
    return valid[0]


def _unrestorable(index: int, why_id: str, why_en: str) -> StateError:
    return StateError(
        f"kunci perangkat pada indeks log {index} tidak sesuai rantai kepercayaan ({why_id})",
        f"the device key at log index {index} does not fit the trust chain ({why_en})")
