"""The portal in a real browser (Debian's chromium driven by Playwright)
against a real ``saksi serve`` over a kecamatan-scale election with signed
sheets: a clean TPS, a flagged sheet and a PPK correction.

Every page's figures are compared with the API JSON; the in-browser
verification must pass on real sheets and fail on tampered data.
Screenshots go to docs/screenshots/ when SAKSI_SCREENSHOTS=1."""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_support import Kit, Server, post

from saksi.election.model import Contest

CHROMIUM = shutil.which("chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
         if os.environ.get("SAKSI_SCREENSHOTS") == "1"
         else Path(tempfile.gettempdir()) / "saksi-portal-screenshots")

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing (/usr/bin/chromium)", pytrace=False)
    pytest.skip("chromium is not installed", allow_module_level=True)


class Election:
    def __init__(self, server: Server, kit: Kit) -> None:
        self.server, self.kit = server, kit
        self.api = httpx.Client(base_url=server.url, timeout=30)
        self.clean = kit.tps[0]
        self.flagged = kit.tps[6]
        self.corrected = kit.tps[7]

    def get(self, path: str, **params: str) -> Any:
        r = self.api.get(path, params=params)
        assert r.status_code == 200, (path, r.text)
        return r.json()


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Election]:
    from saksi.cli import main
    from saksi.election import build_election
    from saksi.sheets.inject import inject

    d = tmp_path_factory.mktemp("portal") / "e"
    build_election(d, scale="kecamatan", region="327301").close()
    assert main(["keys", "init", str(d)]) == 0
    server = Server(d, f"sqlite:///{d / 'saksi.sqlite'}").start()
    try:
        kit = Kit(d)
        el = Election(server, kit)
        with server.client() as c:
            for t in kit.tps[:6]:
                assert post(c, kit.tps_batch(t)).status_code == 200
            bad = inject(kit.sheet(el.flagged, Contest.PPWP), "digit-inserted",
                         random.Random(1))
            assert post(c, [kit.device(bad)]).json()[0]["verdict"] == "flagged"
            bad = inject(kit.sheet(el.corrected, Contest.PPWP), "digit-inserted",
                         random.Random(2))
            assert post(c, [kit.device(bad)]).json()[0]["verdict"] == "flagged"
            fix = kit.sheet(el.corrected, Contest.PPWP, revision=2,
                            reason="Koreksi PPK: 884 terbaca dari 84")
            assert post(c, [kit.ppk(fix)]).json()[0]["status"] == "accepted"
        yield el
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    # A live page keeps polling the API; a route handler still running when the
    # context closes would otherwise raise inside the *next* test's setup.
    pg.unroute_all(behavior="ignoreErrors")
    context.close()
    assert errors == []


def shoot(pg: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    assert path.stat().st_size < 300_000, (name, path.stat().st_size)


def ints(texts: list[str]) -> list[int]:
    return [int(x) for x in texts]


# ------------------------------------------------------------------ numbers
def test_national_page_shows_the_api_figures(election: Election, page: Any) -> None:
    for contest in ("ppwp", "dpr"):
        api = election.get("/api/v1/results/0", contest=contest)
        page.goto(f"{election.server.url}/?contest={contest}")
        rows = page.locator("table.choices tbody tr")
        shown = {int(rows.nth(i).locator("td").nth(0).locator("[data-v]").get_attribute(
            "data-v") or -1): int(rows.nth(i).locator("td").nth(2).locator("[data-v]")
                                  .get_attribute("data-v") or -1)
            for i in range(rows.count())}
        assert shown == {c["number"]: c["votes"] for c in api["choices"]}
        text = rows.first.inner_text()
        best = max(api["choices"], key=lambda c: c["votes"])
        assert best["percent"].replace(".", ",") + "%" in text  # Indonesian decimal comma
        valid = page.locator('dd[data-k="valid"] [data-v]').get_attribute("data-v")
        assert int(valid or -1) == api["totals"]["valid"]
        sheets_in = page.locator('[data-k="sheets_in"] [data-v]').first.get_attribute("data-v")
        assert int(sheets_in or -1) == api["progress"]["sheets_in"]
        flagged = page.locator('[data-k="sheets_flagged"]').first.inner_text()
        assert int(flagged) == api["progress"]["sheets_flagged"]
    assert page.locator('link[rel="alternate"]').get_attribute("href") == \
        "/api/v1/results/0?contest=dpr"
    checkpoint = election.api.get("/api/v1/checkpoint").text.split("\n")
    assert int(page.locator('[data-k="cp_size"] [data-v]').get_attribute("data-v") or -1) \
        >= int(checkpoint[1]) - 1
    tiles = page.locator("ol.carto li")
    assert tiles.count() == 39
    assert "JABAR" in page.locator("ol.carto li.tile:not(.out)").inner_text()


def test_region_pages_down_to_the_village(election: Election, page: Any) -> None:
    desa = election.clean[:10]
    for code in ("32", "3273", "327301", desa):
        api = election.get(f"/api/v1/results/{code}", contest="ppwp")
        page.goto(f"{election.server.url}/wilayah/{code}?contest=ppwp")
        assert page.locator("h1").inner_text().endswith(api["region"]["name"])
        valid = page.locator('dd[data-k="valid"] [data-v]').get_attribute("data-v")
        assert int(valid or -1) == api["totals"]["valid"]
        crumbs = page.locator("nav.crumbs li")
        assert crumbs.count() >= 2
    statuses = {r["code"]: r["status"] for r in api["tps"]}
    rows = page.locator("table.tps tbody tr")
    assert rows.count() == len(statuses)
    assert "Masuk, dihitung" in page.locator("table.tps").inner_text()
    shoot(page, "wilayah-desktop")


def test_sorting_is_server_side_and_click_to_sort_reorders(election: Election,
                                                           page: Any) -> None:
    page.goto(f"{election.server.url}/?contest=dpr")
    table = page.locator("table.choices")
    votes = ints(table.locator("tbody tr td:nth-child(3) [data-v]").evaluate_all(
        "els => els.map(e => e.dataset.v)"))
    assert votes == sorted(votes, reverse=True)  # as served
    table.locator("thead th").nth(2).locator("button").click()
    votes_up = ints(table.locator("tbody tr td:nth-child(3) [data-v]").evaluate_all(
        "els => els.map(e => e.dataset.v)"))
    assert votes_up == sorted(votes)
    assert table.locator("thead th").nth(2).get_attribute("aria-sort") == "ascending"


def test_tps_page_is_the_signed_sheet_with_flags_and_history(election: Election,
                                                             page: Any) -> None:
    api = election.get(f"/api/v1/tps/{election.corrected}")
    page.goto(f"{election.server.url}/tps/{election.corrected}")
    section = page.locator("#c-ppwp")
    ppwp = next(c for c in api["contests"] if c["contest"] == "ppwp")
    cells = section.locator("td[data-f]").evaluate_all(
        "els => els.map(e => [e.dataset.f, Number(e.dataset.v)])")
    assert len(cells) >= 20
    for field, value in cells:
        cur: Any = ppwp["sheet"]
        for part in field.replace("[", ".").replace("]", "").split("."):
            cur = cur[int(part)] if isinstance(cur, list) else cur[part]
        assert cur == value, field
    history = section.locator("table.history").inner_text()
    assert "Koreksi PPK: 884 terbaca dari 84" in history
    assert "CH-VALID-SUM" in history and "Digantikan" in history
    page.goto(f"{election.server.url}/tps/{election.flagged}?lang=en")
    text = page.locator("#c-ppwp").inner_text()
    assert "Flagged" in text and "valid votes (V.A =" in text  # the bilingual message
    assert page.locator("html").get_attribute("lang") == "en"


# ------------------------------------------------------------------ verification
def run_verify(page: Any, contest: str = "ppwp") -> tuple[str, str]:
    box = page.locator(f"#c-{contest} .verify")
    box.locator("button").click()
    page.wait_for_selector(f"#c-{contest} .verify[data-result]", timeout=20_000)
    return box.get_attribute("data-result") or "", box.locator("ol.steps").inner_text()


@pytest.mark.parametrize("which", ["clean", "corrected"])
def test_in_browser_verification_passes_on_real_sheets(election: Election, page: Any,
                                                       which: str) -> None:
    code = getattr(election, which)
    page.goto(f"{election.server.url}/tps/{code}")
    result, steps = run_verify(page)
    assert result == "pass", steps
    assert "Tanda tangan Ed25519 atas formulir (DSSE PAE) sah" in steps
    assert "Bukti inklusi RFC 6962 menghasilkan akar checkpoint" in steps
    assert "Tanda tangan checkpoint oleh log" in steps
    assert ("Kunci adalah PPK" if which == "corrected" else "Kunci didaftarkan untuk TPS") \
        in steps
    if which == "clean":
        page.set_viewport_size(PHONE)
        page.locator("#c-ppwp .verify ol.steps").scroll_into_view_if_needed()
        shoot(page, "tps-verified-phone")
        page.set_viewport_size(DESKTOP)
        page.locator("#c-ppwp .verify").scroll_into_view_if_needed()
        shoot(page, "tps-verified-desktop")


def test_verification_fails_when_the_api_alters_a_vote(election: Election, page: Any) -> None:
    code = election.clean

    def tamper(route: Any) -> None:
        response = route.fetch()
        doc = response.json()
        for c in doc["contests"]:
            if c["contest"] == "ppwp":
                c["sheet"]["votes"]["tickets"][0]["votes"] += 100
        route.fulfill(response=response, json=doc)

    page.route(f"**/api/v1/tps/{code}", tamper)
    page.goto(f"{election.server.url}/tps/{code}?lang=en")
    result, steps = run_verify(page)
    assert result == "fail"
    assert "DIFFERS from the signed one" in steps
    assert "The Ed25519 signature over the sheet (DSSE PAE) is valid" in steps


def test_verification_fails_when_the_log_entry_is_altered(election: Election,
                                                          page: Any) -> None:
    def flip(route: Any) -> None:
        response = route.fetch()
        body = bytearray(response.body())
        body[-5] ^= 0x01  # inside the last entry's base64 signature or payload
        route.fulfill(response=response, body=bytes(body))

    page.route("**/log/tile/entries/**", flip)
    page.goto(f"{election.server.url}/tps/{election.corrected}")
    result, steps = run_verify(page)
    assert result == "fail"
    assert "TIDAK" in steps or "Gagal" in steps


# ------------------------------------------------------------------ other pages
def test_dapil_pages_show_party_totals_and_seats(election: Election, page: Any) -> None:
    page.goto(f"{election.server.url}/dapil?contest=dpr")
    link = page.locator("table tbody tr td a").first
    code = link.inner_text()
    link.click()
    api = election.get(f"/api/v1/dapil/{code}")
    rows = page.locator("table.choices tbody tr")
    seats = {int(rows.nth(i).locator("td").nth(0).locator("[data-v]").get_attribute(
        "data-v") or -1): int(rows.nth(i).locator("td").nth(5).locator("[data-v]")
                              .get_attribute("data-v") or -1) for i in range(rows.count())}
    assert seats == {b["choice"]["number"]: b["seats"] for b in api["parties"]}
    assert sum(seats.values()) == sum(s for _, s in api["projection"])
    shoot(page, "dapil-desktop")


def test_search_and_pages_work_without_javascript(election: Election, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    pg = context.new_page()
    pg.goto(f"{election.server.url}/cari?q={election.clean}")
    pg.locator("ul.results a").first.click()
    assert pg.url.endswith(f"/tps/{election.clean}")
    assert not pg.locator(".verify button").first.is_visible()  # nothing dead without JS
    pg.goto(f"{election.server.url}/cari")
    village = election.kit.election.region(election.clean[:10]).name
    pg.fill("#q", village.lower())
    pg.locator("form.search button").click()
    assert village in pg.locator("ul.results").inner_text()
    pg.goto(f"{election.server.url}/bendera")
    assert election.flagged in pg.locator("table").inner_text()
    assert election.corrected not in pg.locator("table").inner_text()
    for path in ("/unduh", "/tentang"):
        pg.goto(election.server.url + path)
        assert pg.locator("h1").count() == 1
    assert "saksi verify" in pg.content()
    context.close()


def test_national_page_is_light_accessible_and_readable_on_a_phone(election: Election,
                                                                   browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    pg = context.new_page()
    pg.goto(f"{election.server.url}/")
    pg.wait_for_load_state("networkidle")
    transferred = pg.evaluate(
        "performance.getEntriesByType('navigation').concat(performance.getEntriesByType"
        "('resource')).reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0)")
    assert 0 < transferred < 200_000
    assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert pg.locator("html").get_attribute("lang") == "id"
    # The main results table fits a 360-px phone: no sideways scrolling inside it.
    assert pg.evaluate("(() => { const w = document.querySelector('.table-wrap');"
                       " return w.scrollWidth <= w.clientWidth; })()")
    shoot(pg, "nasional-phone")
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "skip"
    assert pg.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    pg.goto(f"{election.server.url}/?lang=en")
    assert pg.locator("html").get_attribute("lang") == "en"
    hrefs = pg.locator("header nav a").evaluate_all("els => els.map(e => e.href)")
    assert all("lang=en" in h for h in hrefs)
    context.close()
    desk = browser.new_context(viewport=DESKTOP)
    pg = desk.new_page()
    pg.goto(f"{election.server.url}/")
    shoot(pg, "nasional-desktop")
    desk.close()


def test_new_results_appear_without_reloading(election: Election, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    pg = context.new_page()
    pg.add_init_script("window.SAKSI_LIVE_MS = 700")
    pg.goto(f"{election.server.url}/?contest=dpd")
    before = int(pg.locator('[data-k="sheets_in"] [data-v]').first.get_attribute("data-v") or -1)
    pg.wait_for_timeout(1500)  # the first poll learns the ETag
    kit = election.kit
    t = kit.tps[20]
    with election.server.client() as c:
        assert post(c, [kit.device(kit.sheet(t, Contest.DPD))]).status_code == 200
    pg.wait_for_function(
        f"Number(document.querySelector('[data-k=sheets_in] [data-v]').dataset.v) > {before}",
        timeout=15_000)
    api = election.get("/api/v1/results/0", contest="dpd")
    shown = pg.locator('[data-k="sheets_in"] [data-v]').first.get_attribute("data-v")
    assert int(shown or -1) == api["progress"]["sheets_in"]
    assert "Diperbarui" in pg.locator("[data-live-status]").inner_text()
    context.close()
