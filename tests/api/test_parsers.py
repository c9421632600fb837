"""Properties of the parsers and encoders on the service's edges: the
submission body splitter, the worker↔sequencer frames, the pre-check and the
token bucket."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from api_support import Kit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saksi.api.limits import TokenBuckets
from saksi.api.problems import ApiProblem
from saksi.api.submit import MAX_DOCUMENTS, split_documents
from saksi.ingest.outcome import Problem, Published, Receipt, Refusal
from saksi.ingest.precheck import KeyCache, precheck
from saksi.service.wire import (
    Item,
    Request,
    Response,
    decode_request,
    decode_response,
    frame,
    read_frame,
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                  max_size=3),
    max_leaves=8)
_objects = st.dictionaries(st.text(max_size=6), _json, max_size=4).map(msgspec.json.encode)
_ws = st.sampled_from([b"", b" ", b"\n", b"\r\n\t "])


@given(docs=st.lists(_objects, min_size=1, max_size=MAX_DOCUMENTS), sep=_ws, edge=_ws)
def test_array_elements_keep_their_exact_bytes(docs: list[bytes], sep: bytes, edge: bytes
                                               ) -> None:
    body = edge + b"[" + (b"," + sep).join(docs) + b"]" + edge
    assert split_documents(body, "application/json; charset=utf-8") == docs


@given(docs=st.lists(_objects, min_size=1, max_size=MAX_DOCUMENTS), crlf=st.booleans())
def test_ndjson_lines_are_the_documents(docs: list[bytes], crlf: bool) -> None:
    nl = b"\r\n" if crlf else b"\n"
    body = nl.join(docs) + nl
    assert split_documents(body, "application/x-ndjson") == docs


@given(doc=_objects, edge=_ws)
def test_a_single_object_is_one_document(doc: bytes, edge: bytes) -> None:
    assert split_documents(edge + doc + edge, "application/vnd.saksi.envelope+json") == [doc]


@given(n=st.integers(MAX_DOCUMENTS + 1, 30))
def test_too_many_documents_are_refused_whole(n: int) -> None:
    with pytest.raises(ApiProblem) as info:
        split_documents(b"[" + b",".join([b"{}"] * n) + b"]", "application/json")
    assert info.value.status == 413


@given(body=st.binary(max_size=200))
def test_any_body_splits_or_is_a_client_error(body: bytes) -> None:
    try:
        docs = split_documents(body, "application/json")
    except ApiProblem as exc:
        assert 400 <= exc.status < 500
    else:
        assert 1 <= len(docs) <= MAX_DOCUMENTS


_problem = st.builds(Problem, st.text(max_size=8), st.text(max_size=8), st.text(max_size=8))
_refusal = st.builds(Refusal, st.lists(_problem, max_size=2).map(tuple),
                     st.none() | st.text(max_size=64))
_receipt = st.builds(Receipt, st.integers(0, 2**40), st.text(max_size=64), st.text(max_size=20),
                     st.sampled_from(["clean", "flagged"]), st.lists(_problem, max_size=2)
                     .map(tuple), st.none() | st.text(max_size=13), st.none() |
                     st.text(max_size=12), st.booleans())
_item = st.builds(Item, st.binary(max_size=300), st.text(max_size=64), st.none() | _refusal,
                  st.booleans())


async def _read(data: bytes) -> bytes:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return await read_frame(reader)


_name = st.tuples(st.sampled_from(["region", "tps", "dapil", "seats", "progress"]),
                  st.text(max_size=20))
_published = st.builds(Published, st.text(max_size=8), st.text(max_size=20),
                       st.text(max_size=34), st.integers(-1, 2**40), st.binary(max_size=64))


@given(items=st.lists(_item, max_size=5), names=st.lists(_name, max_size=5))
def test_request_frames_round_trip(items: list[Item], names: list[tuple[str, str]]) -> None:
    request = Request(items, names)
    assert decode_request(asyncio.run(_read(frame(request)))) == request


@given(outcomes=st.lists(_receipt | _refusal, max_size=5), busy=st.booleans(),
       error=st.none() | st.text(max_size=20),
       documents=st.lists(st.none() | _published, max_size=5))
def test_response_frames_round_trip(outcomes: list[Receipt | Refusal], busy: bool,
                                    error: str | None, documents: list[Published | None]
                                    ) -> None:
    response = Response(list(outcomes), busy, error, documents)
    assert decode_response(asyncio.run(_read(frame(response)))) == response


def test_an_oversized_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        asyncio.run(_read(b"\xff\xff\xff\xff"))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=400))
def test_precheck_never_raises_on_junk(kit: Kit, raw: bytes) -> None:
    item = precheck(raw, kit.election, lambda keyid: None)
    assert item.refusal is not None


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_a_flipped_bit_never_passes_as_verified(kit: Kit, position: int, bit: int) -> None:
    from saksi.keys import envelope as env
    from saksi.keys.simulation import device_key

    raw = kit.tps_batch(kit.tps[0])[0]
    pk = bytes(device_key(kit.master, kit.tps[0]).verify_key)
    keyid = env.decode(raw).signatures[0].keyid
    i = position % len(raw)
    mutated = raw[:i] + bytes([raw[i] ^ (1 << bit)]) + raw[i + 1:]
    item = precheck(mutated, kit.election, lambda k: pk if k == keyid else None)
    # Either refused, or (a change to the key id itself) left for the sequencer to refuse.
    assert item.refusal is not None or not item.verified


def test_a_valid_sheet_is_verified(kit: Kit) -> None:
    from saksi.keys.simulation import device_key

    pk = bytes(device_key(kit.master, kit.tps[0]).verify_key)
    item = precheck(kit.tps_batch(kit.tps[0])[0], kit.election, lambda k: pk)
    assert item.refusal is None and item.verified


@given(rate=st.floats(0.5, 50), burst=st.integers(1, 20),
       gaps=st.lists(st.floats(0, 2), min_size=1, max_size=60))
def test_token_bucket_never_lets_through_more_than_burst_plus_refill(
        rate: float, burst: int, gaps: list[float]) -> None:
    buckets = TokenBuckets(rate, burst)
    t = 0.0
    passed = 0
    for gap in gaps:
        t += gap
        wait = buckets.take("c", now=t)
        if wait == 0:
            passed += 1
        else:
            assert 0 < wait <= 1 / rate + 1e-9
    assert passed <= burst + rate * t + 1e-6
    assert buckets.take("other", now=t) == 0  # another client is unaffected


def test_key_cache_asks_again_for_unknown_keys_only_after_a_while() -> None:
    calls: list[str] = []

    def fetch(keyid: str) -> bytes | None:
        calls.append(keyid)
        return b"k" if keyid == "known" else None

    cache = KeyCache(fetch, miss_ttl=60)
    assert cache("known") == b"k" and cache("known") == b"k"
    assert cache("unknown") is None and cache("unknown") is None
    assert calls == ["known", "unknown"]
