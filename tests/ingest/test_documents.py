"""Public documents are rendered on demand from the live tally.

A document asked for again before any batch touches it is the very same
rendering; a batch that changes it makes the next request render it afresh;
names that do not exist are ``None``, never an error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from saksi.ingest import Ingestor, Receipt
from saksi.ingest.outcome import Published
from saksi.ingest.sequencer import DocumentCache
from saksi.keys import envelope as env

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import signed_ppwp


def _sheets_in(doc: Published | None) -> int:
    assert doc is not None
    return int(msgspec.json.decode(doc.body)["progress"]["sheets_in"])


def test_documents_follow_every_batch_and_are_reused_until_then(election_dir: Path) -> None:
    first, second = signed_ppwp(election_dir, 2, seed=3)
    with Ingestor.open(election_dir) as ingestor:
        seq = ingestor.sequencer
        national = ("region", "ppwp/0")
        before = seq.documents([national])[0]
        assert before is not None and _sheets_in(before) == 0
        assert seq.documents([national])[0] is before  # untouched: not rendered again
        receipt = ingestor.submit(first)
        assert isinstance(receipt, Receipt)
        after = seq.documents([national])[0]
        assert after is not None and after.as_of_index == receipt.index
        assert _sheets_in(after) == 1 and after.etag != before.etag
        tps = seq.documents([("tps", str(receipt.tps))])[0]
        assert tps is not None
        indices = [d["index"] for d in msgspec.json.decode(tps.body)["documents"]]
        assert indices == [receipt.index]
        ingestor.submit(second)
        assert _sheets_in(seq.documents([national])[0]) == 2


def test_names_that_do_not_exist_are_none(election_dir: Path) -> None:
    raw = signed_ppwp(election_dir, 1, seed=3)[0]  # never submitted: its TPS has no document
    sheet_tps = msgspec.json.decode(env.decode(raw).payload)["tps"]
    with Ingestor.open(election_dir) as ingestor:
        got = ingestor.sequencer.documents([
            ("tps", sheet_tps), ("tps", "9999999999999"), ("region", "ppwp/99999999"),
            ("region", "nope/0"), ("seats", "ppwp"), ("seats", "dpr"), ("dapil", "x"),
            ("progress", "1"), ("nothing", "0"), ("progress", "0")])
        exists = [doc is not None for doc in got]
        assert exists == [False, False, False, False, False, True, False, False, False, True]


@given(sizes=st.lists(st.integers(0, 40), max_size=30), limit=st.integers(0, 100))
def test_the_document_cache_never_holds_more_than_its_byte_limit(sizes: list[int],
                                                                  limit: int) -> None:
    cache = DocumentCache(limit)
    for n, size in enumerate(sizes):
        name = ("region", str(n % 7))
        doc = Published(*name, '"e"', n, b"x" * size)
        cache.put(name, doc)
        assert cache.size <= limit
        assert cache.size == sum(len(d.body) for d in cache._docs.values())
        if size <= limit:
            assert cache.get(name) is doc  # the newest fits: it is kept
    cache.discard([("region", str(k)) for k in range(7)])
    assert cache.size == 0 and len(cache) == 0
