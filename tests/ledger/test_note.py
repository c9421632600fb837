"""Signed notes, keys and cosignature/v1 (c2sp.org/signed-note, c2sp.org/tlog-cosignature)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saksi.ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Note,
    NoteError,
    Signer,
    Verifier,
    cosigned_message,
    open_note,
    sign_note,
)

# The reference key pair and note of the signed-note format (golang.org/x/mod/sumdb/note,
# which c2sp.org/signed-note specifies): Ed25519 is deterministic, so we must reproduce
# the signature byte for byte and verify it.
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
SIGNED = (
    TEXT
    + "\n"
    + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
)

# The example notes printed in c2sp.org/signed-note and c2sp.org/tlog-cosignature
# (their public keys are not published, so we check they parse exactly).
QUASIMODO = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"  # noqa: E501
)
COSIGNED = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"  # noqa: E501
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"  # noqa: E501
)


def test_reference_vector_verifies() -> None:
    v = Verifier.parse(VKEY)
    assert (v.name, v.alg, v.key_id.hex()) == ("PeterNeumann", ALG_ED25519, "c74f20a3")
    assert v.vkey == VKEY
    note = open_note(SIGNED, [v])
    assert note.text == TEXT
    assert note.render() == SIGNED


def test_reference_signer_reproduces_the_signature() -> None:
    s = Signer.parse(SKEY)
    assert s.skey == SKEY
    assert s.vkey == VKEY
    assert sign_note(TEXT, s) == SIGNED
    assert "AYEKFALV" not in repr(s)


def test_reference_vector_rejects_tampering() -> None:
    v = Verifier.parse(VKEY)
    with pytest.raises(NoteError):
        open_note(SIGNED.replace("problem,", "problem;"), [v])
    # Unknown keys are ignored; with no known key the note is rejected.
    other = Signer.generate("PeterNeumann").verifier
    with pytest.raises(NoteError):
        open_note(SIGNED, [other])


def test_verifier_key_manglings_are_rejected() -> None:
    b = VKEY
    for i in range(len(b)):
        for cut in (b[:i], b[i + 1 :]):
            if cut:
                with pytest.raises(NoteError):
                    Verifier.parse(cut)
        changed = b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :]
        with pytest.raises(NoteError):
            Verifier.parse(changed)


def test_spec_examples_parse() -> None:
    q = Note.parse(QUASIMODO)
    assert q.text.endswith("ed è subito sera.\n") and q.text.count("\n") == 4
    assert [s.name for s in q.signatures] == ["quasimodo.example/salvatore"]
    assert len(q.signatures[0].sig) == 64
    assert q.render() == QUASIMODO
    c = Note.parse(COSIGNED)
    assert [len(s.sig) for s in c.signatures] == [64, 72]
    assert c.signatures[1].timestamp == 1679315147
    assert c.render() == COSIGNED


@pytest.mark.parametrize(
    "bad",
    [
        TEXT,  # no signatures
        TEXT + "\n",  # empty signature block
        SIGNED[:-1],  # no final newline
        SIGNED.replace("— ", "- "),  # not an em dash
        SIGNED.replace("— PeterNeumann ", "— PeterNeumann  "),  # double space
        SIGNED.replace("PeterNeumann x08", "Peter+Neumann x08"),  # '+' in name
        SIGNED.replace("AM=\n", "AM\n"),  # unpadded base64
        SIGNED.replace("AM=\n", "AM=\n\n"),  # stray blank line at the end
        SIGNED.replace("answer", "ans\twer"),  # control character
        "— PeterNeumann x08go/ZJ\n",
        "text\n\n— n AAAA\n",  # signature shorter than key id + 1
    ],
)
def test_strict_parsing(bad: str) -> None:
    with pytest.raises(NoteError):
        Note.parse(bad)


def test_invalid_utf8_rejected() -> None:
    with pytest.raises(NoteError):
        Note.parse(SIGNED.encode()[:-5] + b"\xff\xfe=\n")


names = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x2FF).filter(
        lambda c: c != "+" and not c.isspace()
    ),
    min_size=1,
    max_size=20,
)
texts = st.lists(
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x10FFF, blacklist_categories=("Cs",)),
        max_size=30,
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "".join(line + "\n" for line in lines))


@settings(max_examples=60, deadline=None)
@given(names, texts)
def test_sign_parse_verify_round_trip(name: str, text: str) -> None:
    s = Signer.generate(name)
    assert Signer.parse(s.skey) == s
    assert Verifier.parse(s.vkey) == s.verifier
    signed = sign_note(text, s)
    note = open_note(signed, [s.verifier])
    assert note.text == text
    assert note.render() == signed


@settings(max_examples=60, deadline=None)
@given(names, st.integers(0, 2**63 - 1), st.integers(0, 10_000))
def test_cosignature_round_trip_and_tamper(name: str, ts: int, flip: int) -> None:
    w = Signer.generate(name, ALG_COSIGNATURE_V1)
    assert w.vkey.split("+")[2].startswith("B")  # type byte 0x04
    body = "example.org/log\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = w.signature_line(body, ts)
    note = Note.parse(body + "\n" + line)
    assert note.signatures[0].timestamp == ts
    assert note.verified_by([w.verifier]) == [w.verifier]
    # The same key as a plain Ed25519 key has a different key id: not recognised.
    plain = Verifier(name, ALG_ED25519, w.verifier.public_key)
    assert note.verified_by([plain]) == []
    sig = bytearray(note.signatures[0].sig)
    sig[flip % len(sig)] ^= 0x40
    assert not w.verifier.verify(body, bytes(sig))


def test_cosigned_message_layout() -> None:
    assert (
        cosigned_message("o\n1\nR=\n", 1679315147) == b"cosignature/v1\ntime 1679315147\no\n1\nR=\n"
    )
    w = Signer.generate("w.example", ALG_COSIGNATURE_V1)
    with pytest.raises(NoteError):
        w.signature_line("o\n", None)


def test_bad_signature_from_known_key_rejects_note() -> None:
    s = Signer.generate("log.example")
    signed = sign_note("hello\n", s)
    forged = signed.replace("hello", "hullo")
    with pytest.raises(NoteError):
        Note.parse(forged).verified_by([s.verifier])
