"""RFC 9457 problem details, bilingual.

Every error the API answers is ``application/problem+json`` with ``type``,
``title`` (English), ``title_id`` (Indonesian), ``status``, ``detail``
(Bahasa Indonesia) and ``detail_en`` (English); more members (``field``,
``value``, ``reasons``) where they help.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "/problems/"

TITLES: dict[int, tuple[str, str]] = {
    400: ("Bad Request", "Permintaan tidak sah"),
    404: ("Not Found", "Tidak ditemukan"),
    405: ("Method Not Allowed", "Metode tidak diizinkan"),
    413: ("Content Too Large", "Isi terlalu besar"),
    415: ("Unsupported Media Type", "Jenis isi tidak didukung"),
    429: ("Too Many Requests", "Terlalu banyak permintaan"),
    500: ("Internal Server Error", "Kesalahan server"),
    503: ("Service Unavailable", "Layanan tidak tersedia"),
}


class ApiProblem(Exception):
    """Raised by handlers; turned into a problem response."""

    def __init__(self, status: int, slug: str, detail_id: str, detail_en: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail_en)
        self.status = status
        self.slug = slug
        self.detail_id = detail_id
        self.detail_en = detail_en
        self.headers = headers or {}
        self.extra = extra


def problem_response(p: ApiProblem) -> Response:
    title, title_id = TITLES.get(p.status, ("Error", "Kesalahan"))
    body: dict[str, Any] = {
        "type": TYPE_BASE + p.slug,
        "title": title,
        "title_id": title_id,
        "status": p.status,
        "detail": p.detail_id,
        "detail_en": p.detail_en,
    }
    body.update(p.extra)
    headers = {"Cache-Control": "no-store", **p.headers}
    return Response(msgspec.json.encode(body), status_code=p.status, headers=headers,
                    media_type=PROBLEM_TYPE)
