"""Properties of every parser, encoder and proof in the independent verifier.

Parsers fail cleanly (``FormatError``, never another exception) on any bytes;
encoders round-trip; the Merkle frontier agrees with a naive RFC 6962 tree;
where the writer side has the same format, the verifier agrees with it."""

from __future__ import annotations

import base64
import hashlib
import json
import string
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from saksi.audit.envelope import (
    TYPE_ENROLMENT,
    TYPE_SHEET,
    Enrolment,
    decode_control,
    decode_envelope,
    keyid_of,
    pae,
)
from saksi.audit.policy import Policy
from saksi.audit.sheet import BallotSpec, TpsInfo, decode_sheet, encode_sheet
from saksi.audit.tlog import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    TILE_WIDTH,
    Checkpoint,
    FormatError,
    Frontier,
    Note,
    VerifierKey,
    b64decode_strict,
    cosigned_message,
    key_id,
    split_bundle,
    split_hashes,
    tile_path,
    tiles_for_size,
)

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "sheets"))
import contextlib

from audit_support import assess, envelope, mutations
from sheets_strategies import (  # type: ignore[import-not-found]
    polling_stations,
    sample_ballot,
    sheets,
)

from saksi.election.model import Contest

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])



# ------------------------------------------------------------------ signed notes
LOG_KEY = SigningKey(b"\x07" * 32)
WITNESS_KEY = SigningKey(b"\x09" * 32)
ORIGIN = "example.org/log"


def vkey(name: str, kind: int, key: SigningKey) -> str:
    public = bytes(key.verify_key)
    return f"{name}+{key_id(name, kind, public).hex()}+" + base64.b64encode(
        bytes([kind]) + public).decode()


def signed_checkpoint(size: int, root: bytes, extra: str = "") -> bytes:
    text = f"{ORIGIN}\n{size}\n{base64.b64encode(root).decode()}\n{extra}"
    public = bytes(LOG_KEY.verify_key)
    sig = key_id(ORIGIN, SIG_ED25519, public) + LOG_KEY.sign(text.encode()).signature
    lines = [f"\u2014 {ORIGIN} {base64.b64encode(sig).decode()}"]
    stamp = 1_700_000_000
    wpub = bytes(WITNESS_KEY.verify_key)
    cosig = (key_id("w1", SIG_COSIGNATURE, wpub) + stamp.to_bytes(8, "big")
             + WITNESS_KEY.sign(cosigned_message(text, stamp)).signature)
    lines.append(f"\u2014 w1 {base64.b64encode(cosig).decode()}")
    return (text + "\n" + "\n".join(lines) + "\n").encode()


LOG_VKEY = VerifierKey.parse(vkey(ORIGIN, SIG_ED25519, LOG_KEY))
W1_VKEY = VerifierKey.parse(vkey("w1", SIG_COSIGNATURE, WITNESS_KEY))


@given(size=st.integers(0, 2**63), root=st.binary(min_size=32, max_size=32),
       extra=st.lists(st.text(string.ascii_letters + " ", min_size=1), max_size=3))
def test_a_signed_checkpoint_parses_back_and_verifies(size: int, root: bytes,
                                                      extra: list[str]) -> None:
    data = signed_checkpoint(size, root, "".join(x + "\n" for x in extra))
    cp = Checkpoint.parse(data)
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, size, root)
    assert cp.note.verify(LOG_VKEY) is True and cp.note.verify(W1_VKEY) is True


@FAST
@given(data=st.data())
def test_a_mutated_checkpoint_fails_cleanly_and_never_verifies(data: st.DataObject) -> None:
    original = signed_checkpoint(12345, hashlib.sha256(b"x").digest())
    mutated = data.draw(mutations(original))
    try:
        cp = Checkpoint.parse(mutated)
    except FormatError:
        return
    if mutated != original:
        # a note that still parses is another text or another signature
        assert not (cp.note.verify(LOG_VKEY) is True and cp.note.verify(W1_VKEY) is True)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_are_never_a_crash_for_the_note_parsers(data: bytes) -> None:
    for parse in (Note.parse, Checkpoint.parse):
        with contextlib.suppress(FormatError):
            parse(data)


@FAST
@given(st.text(max_size=120))
def test_verifier_keys_parse_or_fail_cleanly(text: str) -> None:
    with contextlib.suppress(FormatError):
        VerifierKey.parse(text)


@given(st.binary(max_size=64))
def test_strict_base64_accepts_only_the_canonical_spelling(raw: bytes) -> None:
    text = base64.b64encode(raw).decode()
    assert b64decode_strict(text) == raw
    for other in (text + "=", text.replace("=", ""), " " + text, text + "\n"):
        if other != text:
            with contextlib.suppress(FormatError):
                assert b64decode_strict(other) != raw or other == text


# ------------------------------------------------------------------ Merkle trees
def naive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, written out again from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << (len(leaves) - 1).bit_length() - 1
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


@given(st.lists(st.binary(max_size=8), max_size=70), st.integers(0, 70))
def test_the_frontier_gives_the_naive_root_at_every_size(entries: list[bytes],
                                                         cut: int) -> None:
    f = Frontier()
    for i, e in enumerate(entries):
        if i == cut:
            saved = Frontier(f.nodes)
            assert saved.size == i and saved.root() == naive_root(entries[:i])
        f.append(0, hashlib.sha256(b"\x00" + e).digest())
    assert f.size == len(entries) and f.root() == naive_root(entries)


@given(st.integers(0, 6), st.integers(0, 5))
def test_appending_a_perfect_subtree_equals_appending_its_leaves(prefix_blocks: int,
                                                                 tail: int) -> None:
    height = 2
    entries = [bytes([i % 251, i // 251]) for i in range(prefix_blocks * 4 + tail)]
    leaves = [hashlib.sha256(b"\x00" + e).digest() for e in entries]
    f = Frontier()
    for b in range(prefix_blocks):
        block = entries[b * 4:(b + 1) * 4]
        f.append(height, naive_root(block))
    for leaf in leaves[prefix_blocks * 4:]:
        f.append(0, leaf)
    assert f.root() == naive_root(entries)
    assert f.aligned(height).size == prefix_blocks * 4 + (tail // 4) * 4


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=8))
def test_bundles_split_back_into_their_entries(entries: list[bytes]) -> None:
    bundle = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
    assert split_bundle(bundle, len(entries)) == entries
    for short in (bundle[:-1], bundle + b"\x00"):
        with contextlib.suppress(FormatError):
            assert split_bundle(short, len(entries)) != entries


@FAST
@given(st.binary(max_size=200), st.integers(0, 10))
def test_any_bytes_split_cleanly_or_fail_cleanly(data: bytes, count: int) -> None:
    for split in (split_bundle, split_hashes):
        with contextlib.suppress(FormatError):
            split(data, count)


# ------------------------------------------------------------------ tile paths
def parse_tile_path(path: str) -> tuple[str, int, int]:
    """c2sp.org/tlog-tiles: tile/<L>/<N>[.p/<W>] with N in x-prefixed 3-digit groups."""
    parts = path.split("/")
    assert parts[0] == "tile"
    level = parts[1]
    width = TILE_WIDTH
    if parts[-2].endswith(".p"):
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][:-2]]
    groups = parts[2:]
    assert all(len(g) == 4 and g[0] == "x" for g in groups[:-1]) and len(groups[-1]) == 3
    return level, int("".join(g.lstrip("x") for g in groups)), width


@given(st.integers(0, 10**12), st.sampled_from([0, 1, 2, "entries"]), st.integers(1, 256))
def test_tile_paths_decode_back_and_agree_with_the_log_writer(n: int, level: int | str,
                                                              width: int) -> None:
    from saksi.ledger.tiles import tile_path as writer_tile_path

    path = tile_path(level, n, width)
    assert parse_tile_path(path) == (str(level), n, width)
    assert path == writer_tile_path(level, n, width)


def test_the_c2sp_tile_path_examples() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(0, 1234067, 8) == "tile/0/x001/x234/067.p/8"
    assert tile_path("entries", 0, 1) == "tile/entries/000.p/1"


@given(st.integers(0, 3), st.integers(0, 10**9))
def test_tiles_for_size_covers_exactly_the_tree(level: int, size: int) -> None:
    full, width = tiles_for_size(level, size)
    span = TILE_WIDTH ** level
    assert (full * TILE_WIDTH + width) * span <= size < (full * TILE_WIDTH + width + 1) * span


# ------------------------------------------------------------------ envelopes
SIGNER = SigningKey(b"\x05" * 32)



@given(st.binary(max_size=200), st.integers(1, 3))
def test_a_canonical_envelope_decodes_to_what_was_signed(payload: bytes, n: int) -> None:
    keys = [SigningKey(bytes([i + 1]) * 32) for i in range(n)]
    env = decode_envelope(envelope(TYPE_SHEET, payload, keys))
    assert env.payload == payload and env.payload_type == TYPE_SHEET
    for k, (keyid, sig) in zip(keys, env.signatures, strict=True):
        assert keyid == keyid_of(bytes(k.verify_key))
        k.verify_key.verify(pae(TYPE_SHEET, payload), sig)


@FAST
@given(st.data())
def test_a_mutated_envelope_is_refused_cleanly_or_is_another_document(
        data: st.DataObject) -> None:
    original = envelope(TYPE_SHEET, b'{"x":1}', [SIGNER])
    mutated = data.draw(mutations(original))
    try:
        env = decode_envelope(mutated)
    except FormatError:
        return
    if mutated != original:
        # canonical decoding is injective: other bytes, other content
        assert (env.payload, env.payload_type, env.signatures) != (
            b'{"x":1}', TYPE_SHEET, decode_envelope(original).signatures)


@given(st.sampled_from([b" ", b"\n"]), st.integers(0, 200))
def test_whitespace_anywhere_makes_an_envelope_non_canonical(space: bytes, at: int) -> None:
    original = envelope(TYPE_SHEET, b"{}", [SIGNER])
    at %= len(original) + 1
    spaced = original[:at] + space + original[at:]
    try:
        decode_envelope(spaced)
    except FormatError:
        return
    raise AssertionError("a spaced envelope was accepted")


@FAST
@given(st.builds(Enrolment, key=st.from_regex(r"\A[0-9a-f]{64}\Z"),
                 tps=st.from_regex(r"\A[0-9]{13}\Z")))
def test_control_documents_round_trip_and_spelling_matters(doc: Enrolment) -> None:
    payload = msgspec.json.encode(doc)
    assert decode_control(TYPE_ENROLMENT, payload) == doc
    spelled = json.dumps(msgspec.to_builtins(doc), indent=1).encode()
    try:
        decode_control(TYPE_ENROLMENT, spelled)
    except FormatError:
        return
    raise AssertionError("a pretty-printed control document was accepted")


# ------------------------------------------------------------------ sheets
@FAST
@given(sheets())
def test_the_verifier_reads_what_the_writer_encodes_byte_for_byte(sheet: object) -> None:
    from saksi.sheets.canonical import encode

    data = encode(sheet)  # type: ignore[arg-type]
    try:
        mine = decode_sheet(data)
    except FormatError as exc:
        # the verifier refuses only what sheet-format.md's shape rules refuse
        from saksi.sheets.canonical import SheetShapeError, decode

        try:
            decode(data)
        except SheetShapeError:
            return
        raise AssertionError(f"writer accepts, verifier refuses ({exc})") from None
    assert encode_sheet(mine) == data


@FAST
@given(sheets(), st.data())
def test_mutated_sheets_are_accepted_exactly_when_the_writer_finds_them_canonical(
        sheet: object, data: st.DataObject) -> None:
    from saksi.sheets.canonical import encode, is_canonical

    mutated = data.draw(mutations(encode(sheet)))  # type: ignore[arg-type]
    try:
        decode_sheet(mutated)
        mine = True
    except FormatError:
        mine = False
    assert mine == is_canonical(mutated)


# ------------------------------------------------------------------ policies
witness_names = st.from_regex(r"\A[a-z][a-z0-9]{0,6}\Z")


@st.composite
def policies(draw: st.DrawFn) -> tuple[str, dict[str, SigningKey], int]:
    names = draw(st.lists(witness_names, min_size=1, max_size=4, unique=True))
    keys = {n: SigningKey(hashlib.sha256(n.encode()).digest()) for n in names}
    k = draw(st.integers(1, len(names)))
    lines = [f"log {vkey(ORIGIN, SIG_ED25519, LOG_KEY)}"]
    lines += [f"witness {n} {vkey(n, SIG_COSIGNATURE, keys[n])}  # {n}" for n in names]
    lines += [f"group g_all {k} {' '.join(names)}", "quorum g_all", ""]
    return "\n".join(lines), keys, k


def cosigned(text: str, keys: list[tuple[str, SigningKey]]) -> Note:
    lines = []
    for name, key in keys:
        stamp = 1_700_000_000
        blob = (key_id(name, SIG_COSIGNATURE, bytes(key.verify_key)) + stamp.to_bytes(8, "big")
                + key.sign(cosigned_message(text, stamp)).signature)
        lines.append(f"\u2014 {name} {base64.b64encode(blob).decode()}")
    return Note.parse((text + "\n" + "\n".join(lines) + "\n").encode())


@FAST
@given(policies(), st.data())
def test_a_policy_quorum_is_met_exactly_with_k_valid_cosignatures(
        policy: tuple[str, dict[str, SigningKey], int], data: st.DataObject) -> None:
    text, keys, k = policy
    p = Policy.parse(text)
    assert set(p.witnesses) == set(keys) and p.quorum == "g_all" and len(p.logs) == 1
    signing = data.draw(st.lists(st.sampled_from(sorted(keys)), unique=True))
    note = cosigned(f"{ORIGIN}\n1\n{base64.b64encode(bytes(32)).decode()}\n",
                    [(n, keys[n]) for n in signing] or [("other", SIGNER)])
    met, good, bad = p.evaluate(note)
    assert met == (len(signing) >= k) and sorted(good) == sorted(signing) and bad == []


@FAST
@given(st.text(string.printable, max_size=200))
def test_any_policy_text_parses_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(FormatError):
        Policy.parse(text)


@FAST
@given(st.data(), st.integers(1, 3))
def test_the_envelope_fast_path_agrees_with_the_full_decoder(data: st.DataObject,
                                                             n: int) -> None:
    from saksi.audit.envelope import _decode_slow, _fast

    keys = [SigningKey(bytes([i + 1]) * 32) for i in range(n)]
    # small envelopes are matched by one expression, large ones by their separators
    payload = data.draw(st.binary(max_size=60) | st.binary(min_size=1500, max_size=1600))
    original = envelope(TYPE_SHEET, payload, keys)
    raw = data.draw(st.one_of(st.just(original), mutations(original)))
    fast = _fast(raw)
    try:
        slow = _decode_slow(raw)
    except FormatError:
        assert fast is None
        return
    assert fast is None or fast == slow
    if raw == original:
        assert fast == slow


# ------------------------------------------------------------------ rules
def _ballot_spec(ballot: Any) -> BallotSpec:
    """The verifier's view of a writer-side ballot (numbers in ballot order)."""
    if ballot.tickets:
        return BallotSpec(str(ballot.contest), [t.number for t in ballot.tickets])
    if ballot.candidates:
        return BallotSpec(str(ballot.contest), [c.number for c in ballot.candidates])
    return BallotSpec(str(ballot.contest), [pl.party.number for pl in ballot.parties],
                      [[c.number for c in pl.candidates] for pl in ballot.parties])


@settings(max_examples=150, deadline=None)
@given(polling_stations(), st.sampled_from(list(Contest)), st.integers(0, 2**32), st.data())
def test_the_verifier_flags_a_sheet_exactly_as_the_writer_does(
        tps: Any, contest: Contest, seed: int, data: st.DataObject) -> None:
    from saksi.sheets.canonical import encode
    from saksi.sheets.generate import generate_sheet
    from saksi.sheets.model import MAX_COUNT, count_fields, with_counts
    from saksi.sheets.rules import check_sheet

    ballot = sample_ballot(contest, tps.code)
    sheet = generate_sheet(ballot, tps, seed)
    fields = count_fields(sheet)
    changes = {path: data.draw(st.integers(0, MAX_COUNT) | st.integers(
        max(0, value - 3), value + 3)) for path, value in data.draw(
        st.lists(st.sampled_from(fields), max_size=3))}
    sheet = with_counts(sheet, changes)
    writer = check_sheet(sheet, ballot, tps)
    ok, flags, choices, party_only, candidates = assess(
        decode_sheet(encode(sheet)), _ballot_spec(ballot),
        TpsInfo(tps.name, tps.dpt_l, tps.dpt_p))
    assert ok and sorted(flags) == sorted(writer.codes), changes
    # the vote lists are the sheet's, in ballot order
    v = sheet.votes
    rows = v.tickets or v.candidates or v.parties
    assert choices == [getattr(r, "total", getattr(r, "votes", None)) for r in rows]
    assert party_only == [p.party_votes for p in v.parties]
    assert candidates == [c.votes for p in v.parties for c in p.candidates]


@FAST
@given(polling_stations(), st.sampled_from(list(Contest)), st.integers(0, 2**32),
       st.integers(1, 5))
def test_a_sheet_of_another_ballot_never_passes_the_ballot_check(
        tps: Any, contest: Contest, seed: int, seats: int) -> None:
    from saksi.sheets.canonical import encode
    from saksi.sheets.generate import generate_sheet

    sheet = generate_sheet(sample_ballot(contest, tps.code, seats=6, dpd_candidates=6), tps,
                           seed)
    other = _ballot_spec(sample_ballot(contest, tps.code, seats=seats, dpd_candidates=seats))
    ok, *_ = assess(decode_sheet(encode(sheet)), other, TpsInfo(tps.name, 0, 0))
    assert ok == (contest is Contest.PPWP)  # the presidential ballot is the same everywhere


@given(st.dictionaries(st.integers(1, 30), st.integers(0, 10**6) | st.integers(0, 12),
                       max_size=24), st.integers(0, 14))
def test_seats_follow_sainte_lague_with_exact_quotients(votes: dict[int, int],
                                                        seats: int) -> None:
    from fractions import Fraction

    from saksi.audit.totals import sainte_lague

    # recapitulation.md §3, written out: divisors 1, 3, 5, …, the highest quotients win;
    # ties go to more votes, then to the lower number; a party without votes gets nothing
    quotients = sorted(((Fraction(v, d), v, -p) for p, v in votes.items() if v > 0
                        for d in range(1, 2 * seats, 2)), reverse=True)[:seats]
    expected: dict[int, int] = {}
    for _, _, minus_p in quotients:
        expected[-minus_p] = expected.get(-minus_p, 0) + 1
    assert sainte_lague(votes, seats) == expected


@given(st.binary(max_size=40) | st.binary(min_size=1600, max_size=1700), st.data())
def test_an_envelope_spelling_its_payload_otherwise_is_refused(payload: bytes,
                                                               data: st.DataObject) -> None:
    """Base64 with non-zero pad bits, or a payload written with a JSON escape, decodes
    to the same bytes: such an envelope is not the canonical one and must be refused."""
    original = envelope(TYPE_SHEET, payload, [SIGNER])
    text = base64.b64encode(payload)
    start = original.index(text)
    variants = []
    if payload and len(payload) % 3:  # a padded last group: set a pad bit
        last = text.rstrip(b"=")
        alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        bumped = last[:-1] + bytes([alphabet[alphabet.index(last[-1]) + 1]])
        variants.append(bumped + text[len(last):])
    if text:
        at = data.draw(st.integers(0, len(text) - 1))
        variants.append(text[:at] + b"\\u00%02x" % text[at] + text[at + 1:])
    for spelled in variants:
        raw = original[:start] + spelled + original[start + len(text):]
        with pytest.raises(FormatError):
            decode_envelope(raw)


_VERSION_KEYS = ["3201010001001/dpr", "3201010001002/dpr", "3201010002001/dpr",
                 "3201010001001/ppwp", "3201010002001/ppwp"]


@given(st.lists(st.tuples(st.sampled_from(_VERSION_KEYS), st.booleans(),
                          st.lists(st.integers(0, 2**40), min_size=6, max_size=6)),
                max_size=40))
def test_desa_sums_kept_during_the_replay_equal_those_of_the_final_versions(
        changes: list[tuple[str, bool, list[int]]]) -> None:
    """Each new version is added as it becomes current and the one it supersedes taken
    out: the sums end where summing the final versions from scratch ends."""
    from saksi.audit.replay import Current
    from saksi.audit.totals import Cells

    kept, current = Cells(), {}
    for i, (key, flagged, values) in enumerate(changes):
        new = Current(i, 0, i, ("CH-X",) if flagged else (),
                      b"".join(v.to_bytes(8, "little") for v in values))
        kept.change(key, current.get(key), new)
        current[key] = new

    def sums(cells: Cells) -> dict[tuple[str, str], tuple[int, ...]]:
        # lanes compared by value: a superseded version may have left zero lanes behind
        return {w: (c.sheets_in, c.counted, c.flagged, c.flagged_votes,
                    int.from_bytes(c.sum, "little")) for w, c in cells.cells.items()}

    assert sums(kept) == sums(Cells.of(current))
    assert sum(c.sheets_in for c in kept.cells.values()) == len(current)
