"""Reading a submission body into the exact bytes of each envelope.

Accepted forms (``Content-Type``):

- ``application/json`` or ``application/vnd.saksi.envelope+json``: one
  envelope object, or a JSON array of envelopes — each element is taken as
  the exact bytes it occupies in the body (msgspec ``Raw``), so it must itself
  be the canonical envelope;
- ``application/x-ndjson``: one envelope per line.

The log entry is exactly these bytes: nothing is re-encoded.
"""

from __future__ import annotations

import msgspec

from saksi.api.problems import ApiProblem

MAX_BODY = 1024 * 1024
MAX_DOCUMENTS = 10
JSON_TYPES = frozenset({"application/json", "application/vnd.saksi.envelope+json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl"})
_WS = b" \t\r\n"
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def split_documents(body: bytes, content_type: str | None) -> list[bytes]:
    """The envelopes of a body, in order; ApiProblem for a body we cannot read."""
    kind = media_type(content_type)
    if kind in JSON_TYPES:
        docs = _json_documents(body)
    elif kind in NDJSON_TYPES:
        docs = [line.rstrip(b"\r") for line in body.split(b"\n")]
        docs = [d for d in docs if d.strip(_WS)]
    else:
        raise ApiProblem(
            415, "unsupported-media-type",
            f"jenis isi {kind or '(kosong)'} tidak didukung; gunakan application/json, "
            "application/vnd.saksi.envelope+json atau application/x-ndjson",
            f"content type {kind or '(none)'} is not supported; use application/json, "
            "application/vnd.saksi.envelope+json or application/x-ndjson",
            field="Content-Type", value=kind)
    if not docs:
        raise ApiProblem(400, "empty-submission", "tidak ada dokumen dalam permintaan",
                         "the request holds no document", field="body", value=0)
    if len(docs) > MAX_DOCUMENTS:
        raise ApiProblem(
            413, "too-many-documents",
            f"{len(docs)} dokumen dalam satu permintaan; paling banyak {MAX_DOCUMENTS}",
            f"{len(docs)} documents in one request; at most {MAX_DOCUMENTS}",
            field="documents", value=len(docs))
    return docs


def _json_documents(body: bytes) -> list[bytes]:
    text = body.strip(_WS)
    if text.startswith(b"["):
        try:
            return [bytes(raw) for raw in _raw_list.decode(text)]
        except msgspec.DecodeError as exc:
            raise _malformed(str(exc)) from None
    if not text.startswith(b"{"):
        raise _malformed("expected a JSON object or array")
    try:
        msgspec.json.decode(text)  # well-formed JSON at all (the envelope check follows)
    except msgspec.DecodeError as exc:
        raise _malformed(str(exc)) from None
    return [text]


def _malformed(why: str) -> ApiProblem:
    return ApiProblem(400, "malformed-body", f"isi permintaan bukan JSON yang sah: {why}",
                      f"the request body is not valid JSON: {why}", field="body")
