"""The OpenAPI 3.1 description of the API, written by hand (tests check that
every route is described)."""

from __future__ import annotations

from typing import Any

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CACHED = {
    "ETag": {"schema": {"type": "string"}, "description": "strong validator"},
    "Cache-Control": {"schema": {"type": "string"}},
}


def _param(name: str, where: str, description: str, *, required: bool = True,
           schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema or {"type": "string"}}


_INM = _param("If-None-Match", "header", "ETag of a copy already held: 304 if unchanged",
              required=False)
_CONTEST = {"type": "string", "enum": ["ppwp", "dpr", "dpd", "dprd-prov", "dprd-kabkota"]}


def _get(summary: str, params: list[dict[str, Any]], media: str = "application/json",
         *, not_found: bool = True) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "headers": _CACHED,
                "content": {media: {"schema": {"type": "object"} if "json" in media
                                    else {"type": "string"}}}},
        "304": {"description": "Not Modified (If-None-Match matched)"},
        "400": _PROBLEM,
    }
    if not_found:
        responses["404"] = _PROBLEM
    return {"get": {"summary": summary, "parameters": [*params, _INM],
                    "responses": responses}}


def document() -> dict[str, Any]:
    receipt = {"type": "object", "required": ["status"], "properties": {
        # rate-limited: not logged, resend the same bytes after retry_after seconds
        "status": {"enum": ["accepted", "refused", "rate-limited"]},
        "index": {"type": "integer"}, "leaf_hash": {"type": "string"},
        "payload_type": {"type": "string"}, "verdict": {"enum": ["clean", "flagged"]},
        "flags": {"type": "array"}, "reasons": {"type": "array"},
        "tps": {"type": "string"}, "contest": {"type": "string"},
        "duplicate": {"type": "boolean"}, "proof": {"type": "string"},
        "retry_after": {"type": "integer"}}}
    envelope_body = {"schema": {"oneOf": [{"type": "object"},
                                          {"type": "array", "maxItems": 10}]}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "saksi results service", "version": "1",
                 "description": "Signed tally sheets in; live, verifiable results out. "
                                "Errors are RFC 9457 problem+json with bilingual detail."},
        "paths": {
            "/api/v1/sheets": {"post": {
                "summary": "Submit 1–10 signed envelopes (a TPS sends its sheets at once)",
                "requestBody": {"required": True, "content": {
                    "application/json": envelope_body,
                    "application/vnd.saksi.envelope+json": envelope_body,
                    "application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": {
                    "200": {"description": "one receipt or refusal per document, in order",
                            "content": {"application/json": {"schema": {
                                "type": "array", "items": receipt}}}},
                    "400": _PROBLEM, "413": _PROBLEM, "415": _PROBLEM,
                    "429": {"description": "rate limited: the client address (field "
                                           "client), or every document's signer with "
                                           "nothing accepted (field signatures; "
                                           "documents holds the per-document array)",
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                            "content": {"application/problem+json": {"schema": {
                                "allOf": [{"$ref": "#/components/schemas/Problem"}],
                                "properties": {"documents": {
                                    "type": "array", "items": receipt}}}}}},
                    "503": _PROBLEM}}},
            "/api/v1/results/{region}": _get(
                "Totals of a region ('0' = national) with its children",
                [_param("region", "path", "region code"),
                 _param("contest", "query", "contest (default ppwp)", required=False,
                        schema=_CONTEST)]),
            "/api/v1/dapil/{code}": _get("A dapil: parties, candidates, seat projection",
                                         [_param("code", "path", "dapil code")]),
            "/api/v1/seats/{contest}": _get("Seat projection of a party contest",
                                            [_param("contest", "path", "contest",
                                                    schema=_CONTEST)]),
            "/api/v1/tps/{code}": _get(
                "Every sheet of a TPS: current version, history, envelopes, flags",
                [_param("code", "path", "13-digit TPS code")]),
            "/api/v1/tps/{code}/proof": _get(
                "c2sp.org/tlog-proof of a TPS document against the current checkpoint",
                [_param("code", "path", "13-digit TPS code"),
                 _param("index", "query", "log index", schema={"type": "integer"})],
                "text/plain"),
            "/api/v1/progress": _get("Sheets in / expected, nationally and per province", [],
                                     not_found=False),
            "/api/v1/checkpoint": _get("The log's current signed checkpoint", [],
                                       "text/plain", not_found=False),
            "/api/v1/download/{name}": _get(
                "Bulk download, streamed: {contest}.csv or {contest}.json",
                [_param("name", "path", "e.g. ppwp.csv"),
                 _param("level", "query", "nasional, provinsi, kabkota, kecamatan, desa, tps",
                        required=False)], "text/csv"),
            "/log/{path}": _get(
                "The log's static files (C2SP tlog-tiles): checkpoint, tile/…",
                [_param("path", "path", "checkpoint or tile path")],
                "application/octet-stream"),
            "/openapi.json": _get("This document", [], not_found=False),
        },
        "components": {
            "schemas": {"Problem": {
                "type": "object",
                "required": ["type", "title", "title_id", "status", "detail", "detail_en"],
                "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"},
                    "title_id": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string", "description": "Bahasa Indonesia"},
                    "detail_en": {"type": "string", "description": "English"},
                    "field": {"type": "string"}, "value": {}}}},
            "responses": {"Problem": {
                "description": "RFC 9457 problem details",
                "content": {"application/problem+json": {"schema": {
                    "$ref": "#/components/schemas/Problem"}}}}}},
    }
