"""Checkpoints (c2sp.org/tlog-checkpoint) and tlog-proof receipts (c2sp.org/tlog-proof)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.ledger import merkle
from saksi.ledger.checkpoint import Checkpoint, TlogProof, open_checkpoint
from saksi.ledger.note import ALG_COSIGNATURE_V1, Note, NoteError, Signer


def test_spec_checkpoint_body_parses() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = Checkpoint.parse_text(text)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.text == text


@pytest.mark.parametrize(
    "bad",
    [
        "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # leading zero
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # unpadded
        "o\n1\nAAAA\n",  # not 32 bytes
        "o\n1\n",
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",  # empty extension line
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
    ],
)
def test_bad_checkpoints(bad: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse_text(bad)


origins = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E).filter(lambda c: c != "+"),
    min_size=1,
    max_size=30,
)


@settings(max_examples=50, deadline=None)
@given(
    origins,
    st.integers(0, 2**63),
    st.binary(min_size=32, max_size=32),
    st.lists(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=10),
        max_size=3,
    ),
)
def test_checkpoint_round_trip(origin: str, size: int, root: bytes, ext: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(ext))
    assert Checkpoint.parse_text(cp.text) == cp
    s = Signer.generate(origin)
    got, _ = open_checkpoint(cp.sign(s), s.verifier, origin)
    assert got == cp
    with pytest.raises(NoteError):
        open_checkpoint(cp.sign(s), s.verifier, origin + "x")


def _receipt(n: int, i: int) -> tuple[str, bytes, Signer, Signer]:
    entries = [b"e%d" % k for k in range(n)]
    leaves = [merkle.leaf_hash(e) for e in entries]
    log = Signer.generate("log.example/a")
    wit = Signer.generate("w.example", ALG_COSIGNATURE_V1)
    cp = Checkpoint("log.example/a", n, merkle.root_from_leaves(leaves))
    signed = cp.sign(log) + wit.signature_line(cp.text, 1_700_000_000)
    proof = TlogProof(i, tuple(merkle.inclusion_proof(leaves, i)), signed)
    return proof.render(), entries[i], log, wit


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.binary(max_size=20) | st.none(),
)
def test_tlog_proof_round_trip_and_verify(args: tuple[int, int], extra: bytes | None) -> None:
    n, i = args
    text, entry, log, wit = _receipt(n, i)
    p = TlogProof.parse(text)
    p = TlogProof(p.index, p.proof, p.checkpoint, extra)
    again = TlogProof.parse(p.render())
    assert again == p
    cp = again.verify(entry, log.verifier, "log.example/a", [wit.verifier], quorum=1)
    assert cp.size == n
    with pytest.raises(NoteError):
        again.verify(entry + b"!", log.verifier)
    with pytest.raises(NoteError):
        again.verify(
            entry,
            log.verifier,
            witnesses=[Signer.generate("w2", ALG_COSIGNATURE_V1).verifier],
            quorum=1,
        )


def test_tlog_proof_layout() -> None:
    text, _, _, _ = _receipt(5, 2)
    lines = text.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == "index 2"
    assert Note.parse(text.split("\n\n", 1)[1]).text.startswith("log.example/a\n5\n")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        lambda t: t.replace("index 2", "index 02"),
        lambda t: t.replace("index 2", "idx 2"),
        lambda t: t.replace("\n\n", "\n", 1),
    ],
)
def test_tlog_proof_strict(mangle) -> None:  # type: ignore[no-untyped-def]
    text, _, _, _ = _receipt(5, 2)
    with pytest.raises(NoteError):
        TlogProof.parse(mangle(text))
