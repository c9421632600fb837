"""The portal's routes: server-rendered pages and the static files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from saksi.errors import SaksiError
from saksi.portal import info, lists, pages
from saksi.portal.data import PortalData, Source
from saksi.portal.html import e, href, page
from saksi.portal.text import Lang, contest_name, lang_of, t

STATIC = Path(__file__).parent / "static"
PAGE_CACHE = "public, max-age=2, stale-while-revalidate=30"
API_PREFIXES = ("/api/", "/log/", "/openapi.json")
Endpoint = Callable[[Request], Awaitable[Response]]


class _Problem(Exception):
    def __init__(self, status: int, title_id: str, title_en: str) -> None:
        super().__init__(title_en)
        self.status, self.title_id, self.title_en = status, title_id, title_en


def _data_of(state: Any) -> PortalData:
    source: Source = state
    return PortalData(source, Path(state.config.directory))


def _lang(request: Request) -> Lang:
    return lang_of(request.query_params.get("lang"))


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k != "lang"}


def _contest(request: Request, available: list[str]) -> str:
    raw = request.query_params.get("contest")
    if raw is None or raw == "":
        return "ppwp" if "ppwp" in available or not available else available[0]
    if raw not in pages.CONTESTS:
        raise _Problem(400, f"pemilihan tidak dikenal: {raw}", f"unknown contest: {raw}")
    return raw


def portal_routes(state: Any) -> list[BaseRoute]:
    """The portal's pages and ``/static``. ``state`` is the API's per-worker
    state (anything with ``election``, ``store``, an async ``published`` and
    ``config.directory``)."""
    data = _data_of(state)

    def html(request: Request, title: str, body: str, *, alternate: str | None = None,
             live: str | None = None, nav: str = "", status: int = 200,
             scripts: tuple[str, ...] = ("portal.js",), extra_head: str = "") -> Response:
        lang = _lang(request)
        text = page(title=title, body=body, lang=lang, path=request.url.path,
                    params=_params(request), alternate=alternate, live=live, nav=nav,
                    scripts=scripts, extra_head=extra_head)
        return HTMLResponse(text, status_code=status,
                            headers={"Cache-Control": PAGE_CACHE if status == 200 else
                                     "no-store", "Content-Language": lang})

    async def available_at(code: str) -> list[str]:
        return [c for c in pages.CONTESTS
                if await data.document("region", f"{c}/{code}") is not None]

    async def national(request: Request) -> Response:
        lang = _lang(request)
        prog = await data.document("progress", "0")
        if prog is None:
            body = (f"<h1>{e(t('site', lang))}</h1><p>"
                    + ("Hasil belum diterbitkan." if lang == "id" else
                       "Results are not published yet.") + "</p>")
            return html(request, t("site", lang), body, live="/api/v1/progress", nav="home")
        available = [c for c in pages.CONTESTS if c in prog[0]["national"]]
        contest = _contest(request, available)
        found = await data.document("region", f"{contest}/0")
        if found is None:
            raise _Problem(404, f"pemilihan {contest} tidak ada", f"no {contest} contest")
        api = f"/api/v1/results/0?contest={contest}"
        seats = await data.document("seats", contest)
        body = pages.region_body(data, found[0], contest, available, lang, progress=prog[0],
                                 seats=None if seats is None else seats[0])
        return html(request, contest_name(contest, lang), body, alternate=api, live=api,
                    nav="home")

    async def region(request: Request) -> Response:
        lang = _lang(request)
        code = request.path_params["code"]
        if code == "0":
            return Response(status_code=301, headers={"Location": href("/", lang,
                            **_params(request))})
        available = await available_at(code)
        if not available:
            raise _Problem(404, f"wilayah {code} tidak ada", f"no region {code}")
        contest = _contest(request, available)
        found = await data.document("region", f"{contest}/{code}")
        if found is None:
            raise _Problem(404, f"pemilihan {contest} tidak diselenggarakan di wilayah {code}",
                           f"the {contest} contest is not held in region {code}")
        doc = found[0]
        api = f"/api/v1/results/{code}?contest={contest}"
        body = pages.region_body(data, doc, contest, available, lang, progress=None)
        return html(request, doc["region"]["name"], body, alternate=api, live=api)

    async def tps(request: Request) -> Response:
        lang = _lang(request)
        code = request.path_params["code"]
        found = await data.document("tps", code)
        if found is None:
            try:
                tp = data.election.tps(code)
                contests = data.election.contests_at(code)
            except SaksiError:
                raise _Problem(404, f"TPS {code} tidak ada", f"no polling station {code}"
                               ) from None
            doc: dict[str, Any] = {
                "tps": {"code": tp.code, "name": tp.name, "level": "tps"}, "dpt": tp.dpt,
                "as_of_index": -1, "contests": [
                    {"contest": str(c), "status": "missing", "current": None, "sheet": None,
                     "history": [], "dapil": None} for c in contests]}
        else:
            doc = found[0]
        api = f"/api/v1/tps/{code}"
        vkey = data.vkey()
        head = f'<meta name="saksi-log-vkey" content="{e(vkey)}">'
        body = pages.tps_body(data, doc, lang)
        return html(request, f"{doc['tps']['name']} {code}", body, alternate=api, live=api,
                    scripts=("portal.js", "verify.js"), extra_head=head)

    async def dapil_list(request: Request) -> Response:
        lang = _lang(request)
        contest = request.query_params.get("contest") or "dpr"
        if contest not in lists.DAPIL_CONTESTS:
            raise _Problem(400, f"pemilihan tanpa dapil: {contest}",
                           f"contest without districts: {contest}")
        body = lists.dapil_list_body(data, contest, lang)
        return html(request, t("dapil_list", lang), body, nav="dapil",
                    alternate=f"/api/v1/seats/{contest}" if contest != "dpd" else None)

    async def dapil(request: Request) -> Response:
        lang = _lang(request)
        code = request.path_params["code"]
        found = await data.document("dapil", code)
        if found is None:
            raise _Problem(404, f"dapil {code} tidak ada", f"no electoral district {code}")
        api = f"/api/v1/dapil/{code}"
        return html(request, found[0]["dapil"]["name"], lists.dapil_body(data, found[0], lang),
                    alternate=api, live=api, nav="dapil")

    async def flagged(request: Request) -> Response:
        lang = _lang(request)
        contest = request.query_params.get("contest") or None
        if contest is not None and contest not in pages.CONTESTS:
            raise _Problem(400, f"pemilihan tidak dikenal: {contest}",
                           f"unknown contest: {contest}")
        raw_page = request.query_params.get("page", "0")
        page_no = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 0
        return html(request, t("flag_list", lang),
                    lists.flagged_body(data, contest, page_no, lang), nav="flags",
                    alternate="/api/v1/progress", live="/api/v1/progress")

    async def search(request: Request) -> Response:
        lang = _lang(request)
        q = request.query_params.get("q", "")
        return html(request, t("search", lang), lists.search_body(data, q, lang), nav="search")

    async def downloads(request: Request) -> Response:
        lang = _lang(request)
        prog = await data.document("progress", "0")
        contests = [c for c in pages.CONTESTS if prog is None or c in prog[0]["national"]]
        cp = data.checkpoint()
        body = info.download_body(contests, data.vkey(), cp.origin if cp else "", lang)
        return html(request, t("download", lang), body, nav="download",
                    alternate="/openapi.json")

    async def about(request: Request) -> Response:
        lang = _lang(request)
        return html(request, t("about", lang), info.about_body(lang), nav="about")

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _Problem)
        lang = _lang(request)
        msg = exc.title_id if lang == "id" else exc.title_en
        title = t("not_found", lang) if exc.status == 404 else msg
        body = (f"<h1>{e(title)}</h1><p>{e(msg)}</p><p>"
                f'<a href="{e(href("/cari", lang))}">{e(t("search", lang))}</a></p>')
        return html(request, title, body, status=exc.status)

    def guard(endpoint: Endpoint) -> Endpoint:
        # Each route renders its own errors, so the routes work in any host app.
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except _Problem as exc:
                return await on_problem(request, exc)
        return run

    return [
        Route("/", guard(national)), Route("/wilayah/{code}", guard(region)),
        Route("/tps/{code}", guard(tps)), Route("/dapil", guard(dapil_list)),
        Route("/dapil/{code}", guard(dapil)), Route("/bendera", guard(flagged)),
        Route("/cari", guard(search)), Route("/unduh", guard(downloads)),
        Route("/tentang", guard(about)),
        Mount("/static", app=_Static(directory=STATIC), name="static"),
    ]


class _Static(StaticFiles):
    """Static files, cached for a day (the URLs carry a version)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def portal_app(state: Any) -> ASGIApp:
    """The portal as one ASGI app (gzip included), to hang behind the API's
    router as its fallback: ``app.router.default = portal_app(state)``. Paths
    of the API and the log that matched nothing stay the API's 404."""
    routes = portal_routes(state)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        lang = _lang(request)
        if exc.status_code != 404:
            return Response(status_code=exc.status_code, headers=dict(exc.headers or {}))
        title = t("not_found", lang)
        body = (f"<h1>{e(title)}</h1><p>{e(request.url.path)}</p><p>"
                f'<a href="{e(href("/cari", lang))}">{e(t("search", lang))}</a></p>')
        text = page(title=title, body=body, lang=lang, path=request.url.path,
                    params=_params(request))
        return HTMLResponse(text, status_code=404, headers={"Cache-Control": "no-store"})

    inner = Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=500)],
                      exception_handlers={HTTPException: on_http})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(API_PREFIXES):
            raise HTTPException(404)
        await inner(scope, receive, send)

    return app
