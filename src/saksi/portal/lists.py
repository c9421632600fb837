"""Dapil pages, the flagged-sheet list and search results."""

from __future__ import annotations

from typing import Any

import msgspec

from saksi.portal.data import PortalData
from saksi.portal.html import a, e, table
from saksi.portal.pages import (
    PARTY_CONTESTS,
    as_of,
    contest_tabs,
    figures,
    n,
    progress_block,
)
from saksi.portal.text import Lang, contest_name, fmt_int, fmt_percent, level_name, t

DAPIL_CONTESTS = ("dpr", "dpd", "dprd-prov", "dprd-kabkota")


def dapil_list_body(data: PortalData, contest: str, lang: Lang) -> str:
    from saksi.election.model import Contest

    dapils = data.election.dapils(Contest(contest))
    rows = [[a(f"/dapil/{d.code}", d.code, lang), e(d.name), n(d.seats, lang),
             e(", ".join(d.regions[:6]) + (" …" if len(d.regions) > 6 else ""))]
            for d in dapils]
    head = [(t("code", lang), "text"), (t("name", lang), "text"), (t("seats", lang), "num"),
            (t("region", lang), "text")]
    return (f'<h1>{e(t("dapil_list", lang))}</h1>'
            + contest_tabs("/dapil", contest, list(DAPIL_CONTESTS), lang)
            + f'<h2 class="contest">{e(contest_name(contest, lang))}</h2>'
            + table(t("dapil_list", lang), head, rows))


def dapil_body(data: PortalData, doc: dict[str, Any], lang: Lang) -> str:
    d, contest = doc["dapil"], doc["contest"]
    parts = [f'<nav class="crumbs" aria-label="breadcrumb"><ol><li>'
             f'{a("/dapil", t("dapil_list", lang), lang, contest=contest)}</li>'
             f'<li aria-current="page">{e(d["name"])}</li></ol></nav>',
             f'<h1>{e(d["name"])} <small>{e(d["code"])}</small></h1>',
             f'<p>{e(contest_name(contest, lang))} · <strong>{e(fmt_int(int(d["seats"]), lang))}'
             f'</strong> {e(t("seats", lang).lower())} · {e(t("region", lang))}: '
             + ", ".join(a(f"/wilayah/{r}", r, lang, contest=contest) for r in doc["regions"])
             + "</p>", as_of(doc, lang), '<div class="grid2">']
    res = f'<section class="card wide"><h2>{e(t("results", lang))}</h2>'
    if contest in PARTY_CONTESTS:
        eligible = doc.get("eligible")
        head = [(t("number", lang), "num"), (t("choice", lang), "text"), (t("votes", lang), "num"),
                (t("party_votes", lang), "num"), (t("share", lang), "num"),
                (t("seats", lang), "num")]
        rows = []
        for blk in sorted(doc["parties"], key=lambda b: (-int(b["choice"]["votes"]),
                                                          int(b["choice"]["number"]))):
            c = blk["choice"]
            mark = ""
            if eligible is not None and int(c["number"]) not in eligible:
                mark = f' <small>({e(t("below_threshold", lang))})</small>'
            rows.append([n(c["number"], lang), e(c["name"]) + mark, n(c["votes"], lang),
                         n(c.get("party_votes", 0), lang),
                         f'<span data-v="{c["share_bp"]}">{e(fmt_percent(c["percent"], lang))}'
                         "</span>", n(blk["seats"], lang)])
        res += table(t("results", lang), head, rows, cls="choices")
        res += f'<p class="note">{e(t("projection_note", lang))}</p>'
        det = []
        for blk in doc["parties"]:
            c = blk["choice"]
            crow = [[n(x["number"], lang), e(x["name"]), e(x["sex"]), n(x["votes"], lang)]
                    for x in blk["candidates"]]
            det.append(f'<details><summary>{e(c["name"])} — {e(t("candidates", lang))}</summary>'
                       + table(f"{t('candidates', lang)} {c['name']}",
                               [(t("number", lang), "num"), (t("name", lang), "text"),
                                ("L/P", "text"), (t("votes", lang), "num")], crow)
                       + "</details>")
        res += f'<h3>{e(t("candidates", lang))}</h3>' + "".join(det)
    else:
        leading = {int(x[0]) for x in doc["projection"]}
        rows = []
        for c in sorted(doc["candidates"], key=lambda c: (-int(c["votes"]), int(c["number"]))):
            mark = (f' <span class="badge st-current"><span aria-hidden="true">★</span> '
                    f'{e(t("elected_projection", lang))}</span>'
                    if int(c["number"]) in leading else "")
            rows.append([n(c["number"], lang), e(c["name"]) + mark, n(c["votes"], lang),
                         f'<span data-v="{c["share_bp"]}">{e(fmt_percent(c["percent"], lang))}'
                         "</span>"])
        res += table(t("results", lang), [(t("number", lang), "num"), (t("name", lang), "text"),
                                          (t("votes", lang), "num"), (t("share", lang), "num")],
                     rows, cls="choices")
        res += f'<p class="note">{e(t("projection_note", lang))}</p>'
    res += figures(doc["totals"], lang) + "</section>"
    parts.append(res)
    parts.append(progress_block(doc["progress"], contest, lang))
    parts.append("</div>")
    return "".join(parts)


def flagged_body(data: PortalData, contest: str | None, page: int, lang: Lang) -> str:
    per = 100
    rows_in = data.flagged(contest, per + 1, page * per)
    more = len(rows_in) > per
    rows = []
    for r in rows_in[:per]:
        try:
            problems = msgspec.json.decode(r.flags) if r.flags else []
        except msgspec.DecodeError:
            problems = []
        text = "; ".join(
            f"{p.get('code', '')}: {p.get('message_id' if lang == 'id' else 'message_en', '')}"
            for p in problems if isinstance(p, dict))
        rows.append([a(f"/tps/{r.tps}", r.tps or "", lang), e(contest_name(r.contest or "", lang)),
                     n(r.index, lang), n(r.revision or 0, lang), e(r.received_at),
                     f'<span aria-hidden="true">⚠</span> {e(text)}'])
    head = [("TPS", "text"), (t("contest", lang), "text"), (t("log_index", lang), "num"),
            (t("revision", lang), "num"), (t("time", lang), "text"), (t("flags", lang), "text")]
    tabs = contest_tabs("/bendera", contest or "", ["ppwp", *DAPIL_CONTESTS], lang)
    body = (f'<h1>{e(t("flag_list", lang))}</h1>{tabs}'
            f'<p class="note">{e(t("flag_meaning", lang))} '
            f'{a("/tentang", t("nav_about", lang), lang)}</p>')
    if not rows:
        return body + f'<p class="ok">{e(t("none_flagged", lang))}</p>'
    body += table(t("flag_list", lang), head, rows)
    if more:
        body += f'<p>{a("/bendera", t("more", lang), lang, contest=contest, page=page + 1)}</p>'
    return body


def search_body(data: PortalData, q: str, lang: Lang) -> str:
    form = (f'<form class="search" action="/cari" method="get" role="search">'
            f'<label for="q">{e(t("search_label", lang))}</label>'
            f'<div class="row"><input id="q" name="q" type="search" value="{e(q)}" '
            f'maxlength="100" autocomplete="off">'
            + ('<input type="hidden" name="lang" value="en">' if lang == "en" else "")
            + f'<button class="btn" type="submit">{e(t("search_button", lang))}</button></div>'
            "</form>")
    body = f'<h1>{e(t("search", lang))}</h1>{form}'
    if not q.strip():
        return body
    found = data.search(q[:100])
    if not found:
        return body + f'<p>{e(t("no_results", lang))}</p>'
    items = []
    for code, name, level in found:
        path = f"/tps/{code}" if level == "tps" else f"/wilayah/{code}"
        items.append(f"<li>{a(path, name, lang)} <small>{e(level_name(level, lang))} · "
                     f"{e(code)}</small></li>")
    return body + f'<ul class="results">{"".join(items)}</ul>'
