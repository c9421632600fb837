"""The pages, rendered on the server from the published documents.

Every number comes from a document the API serves byte for byte (the
``alternate`` link of each page names it); the pages only format them.
"""

from __future__ import annotations

from typing import Any

from saksi.errors import SaksiError
from saksi.portal.cartogram import cartogram
from saksi.portal.data import CheckpointView, PortalData
from saksi.portal.html import a, e, href, num_cell, table
from saksi.portal.text import (
    ROLE_NAMES,
    STATUS_NAMES,
    WHY_NAMES,
    Lang,
    contest_name,
    fmt_bp,
    fmt_int,
    fmt_percent,
    level_name,
    pick,
    t,
)

CONTESTS = ("ppwp", "dpr", "dpd", "dprd-prov", "dprd-kabkota")
PARTY_CONTESTS = ("dpr", "dprd-prov", "dprd-kabkota")


def n(value: int, lang: Lang) -> str:
    return num_cell(fmt_int(value, lang), value)


def status_badge(status: str, lang: Lang) -> str:
    icon, sid, sen = STATUS_NAMES.get(status, ("?", status, status))
    return (f'<span class="badge st-{e(status)}"><span aria-hidden="true">{e(icon)}</span> '
            f"{e(sid if lang == 'id' else sen)}</span>")


def contest_tabs(path: str, current: str, available: list[str], lang: Lang) -> str:
    items = []
    for c in available:
        cur = ' aria-current="page"' if c == current else ""
        items.append(f'<li><a href="{e(href(path, lang, contest=c))}"{cur}>'
                     f"{e(contest_name(c, lang))}</a></li>")
    return f'<nav class="tabs" aria-label="{e(t("contest", lang))}"><ul>{"".join(items)}</ul></nav>'


def breadcrumbs(data: PortalData, code: str, name: str, contest: str, lang: Lang) -> str:
    items = []
    for r in data.chain(code):
        label = t("nav_home", lang) if r.code == "0" else r.name
        path = "/" if r.code == "0" else f"/wilayah/{r.code}"
        items.append(f"<li>{a(path, label, lang, contest=contest)}</li>")
    items.append(f'<li aria-current="page">{e(name)}</li>')
    return f'<nav class="crumbs" aria-label="breadcrumb"><ol>{"".join(items)}</ol></nav>'


def choices_table(choices: list[dict[str, Any]], contest: str, lang: Lang,
                  caption: str) -> str:
    party = contest in PARTY_CONTESTS
    head = [(t("number", lang), "num"), (t("choice", lang), "text"), (t("votes", lang), "num")]
    if party:
        head.append((t("party_votes", lang), "num"))
    head.append((t("share", lang), "num"))
    rows = []
    ranked = sorted(choices, key=lambda c: (-int(c["votes"]), int(c["number"])))
    for c in ranked:
        pct = fmt_percent(c["percent"], lang)
        row = [n(c["number"], lang), e(c["name"]), n(c["votes"], lang)]
        if party:
            row.append(n(c.get("party_votes", 0), lang))
        row.append(f'<span class="pct" data-v="{c["share_bp"]}">{e(pct)}</span>'
                   f'<span class="bar" aria-hidden="true" style="--w:{int(c["share_bp"]) / 100}%">'
                   "</span>")
        rows.append(row)
    return table(caption, head, rows, cls="choices")


def figures(totals: dict[str, Any], lang: Lang) -> str:
    items = [("dpt", "dpt"), ("voters", "voters"), ("valid", "valid"), ("invalid", "invalid"),
             ("total", "total")]
    return '<dl class="figures">' + "".join(
        f'<div><dt>{e(t(label, lang))}</dt><dd data-k="{k}">{n(totals[k], lang)}</dd></div>'
        for label, k in items) + "</dl>"


def progress_block(p: dict[str, Any], contest: str, lang: Lang) -> str:
    flagged = int(p["sheets_flagged"])
    flag_text = (f'<p class="flagnote"><span aria-hidden="true">⚠</span> '
                 f'<strong data-k="sheets_flagged">{e(fmt_int(flagged, lang))}</strong> '
                 f'{e(t("flagged_waiting", lang))} '
                 f'({e(fmt_int(int(p["flagged_votes"]), lang))} {e(t("flagged_votes", lang))}). '
                 f'{a("/bendera", t("see_flagged", lang), lang, contest=contest)}</p>'
                 if flagged else
                 f'<p class="flagnote ok"><span aria-hidden="true">✓</span> '
                 f'<strong data-k="sheets_flagged">0</strong> {e(t("flagged_waiting", lang))}</p>')
    return (
        f'<section class="card" aria-labelledby="h-prog"><h2 id="h-prog">{e(t("progress", lang))}'
        f"</h2>"
        f'<p class="big"><span data-k="in_bp">{e(fmt_bp(int(p["in_bp"]), lang))}</span> '
        f'<small>{e(t("sheets_in", lang))}</small></p>'
        f'<div class="meter" aria-hidden="true"><span style="--w:{int(p["in_bp"]) / 100}%">'
        f"</span></div>"
        f'<dl class="figures"><div><dt>{e(t("sheets_in", lang))}</dt><dd>'
        f'<span data-k="sheets_in">{n(p["sheets_in"], lang)}</span> {e(t("of", lang))} '
        f'<span data-k="sheets_expected">{n(p["sheets_expected"], lang)}</span></dd></div>'
        f'<div><dt>{e(t("tps_in", lang))}</dt><dd><span data-k="tps_in">'
        f'{n(p["tps_in"], lang)}</span> {e(t("of", lang))} {n(p["tps_total"], lang)}</dd></div>'
        f'<div><dt>{e(t("sheets_counted", lang))}</dt><dd data-k="sheets_counted">'
        f'{n(p["sheets_counted"], lang)}</dd></div></dl>{flag_text}</section>')


def checkpoint_block(cp: CheckpointView | None, lang: Lang) -> str:
    if cp is None:
        return ""
    wit = cp.witnesses
    if wit:
        import datetime as dt

        def when(w: Any) -> str:
            stamp = dt.datetime.fromtimestamp(w.cosigned_at or 0, dt.UTC)
            return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")

        lis = "".join(f"<li>{e(w.name)} <small>({e(when(w))})</small></li>" for w in wit)
        witnesses = (f'<p><strong data-k="witnesses">{len(wit)}</strong> '
                     f'{e(t("witnesses", lang))}:</p><ul>{lis}</ul>')
    else:
        witnesses = (f'<p><strong data-k="witnesses">0</strong> '
                     f'{e(t("witnesses", lang))} — {e(t("no_witnesses", lang))}</p>')
    return (
        f'<section class="card" aria-labelledby="h-cp"><h2 id="h-cp">{e(t("checkpoint", lang))}'
        f'</h2><dl class="kv"><div><dt>{e(t("cp_size", lang))}</dt><dd data-k="cp_size">'
        f'{n(cp.size, lang)}</dd></div><div><dt>{e(t("cp_root", lang))}</dt><dd><code '
        f'class="hash">{e(cp.root_hex)}</code></dd></div><div><dt>{e(t("cp_time", lang))}</dt>'
        f'<dd><time datetime="{e(cp.published_at)}">{e(cp.published_at)}</time></dd></div>'
        f'</dl>{witnesses}<p><a href="/api/v1/checkpoint">checkpoint</a> · '
        f'{a("/tentang", t("nav_about", lang), lang)}</p></section>')


def children_table(doc: dict[str, Any], contest: str, lang: Lang) -> str:
    children = doc.get("children") or []
    if not children:
        return ""
    names = sorted({(int(c["number"]), c["name"]) for ch in children for c in ch["choices"]})
    head = [(t("code", lang), "text"), (t("region", lang), "text"),
            (t("sheets_in", lang), "num"), (t("sheets_flagged", lang), "num"),
            (t("valid", lang), "num")]
    head += [(f"{t('ticket', lang)} {num:02d}" if contest == "ppwp" else name, "num")
             for num, name in names]
    rows = []
    for ch in sorted(children, key=lambda c: c["region"]["code"]):
        r, p = ch["region"], ch["progress"]
        by = {int(c["number"]): c for c in ch["choices"]}
        row = [e(r["code"]), a(f"/wilayah/{r['code']}", r["name"], lang, contest=contest),
               num_cell(fmt_bp(int(p["in_bp"]), lang), int(p["in_bp"])),
               n(p["sheets_flagged"], lang), n(ch["totals"]["valid"], lang)]
        for num, _ in names:
            c = by.get(num)
            row.append("—" if c is None else
                       n(c["votes"], lang) + f' <small>({e(fmt_percent(c["percent"], lang))})'
                                             "</small>")
        rows.append(row)
    level = children[0]["region"]["level"]
    return (f'<section aria-labelledby="h-children"><h2 id="h-children">'
            f'{e(t("children", lang))}: {e(level_name(level, lang))}</h2>'
            + table(t("children", lang), head, rows, cls="children") + "</section>")


def tps_table(doc: dict[str, Any], lang: Lang) -> str:
    rows_in = doc.get("tps") or []
    if not rows_in:
        return ""
    head = [("TPS", "text"), (t("status", lang), "text"), (t("revision", lang), "num"),
            (t("valid", lang), "num"), (t("invalid", lang), "num"), (t("leading", lang), "text")]
    rows = []
    for row in rows_in:
        tot = row.get("totals")
        lead = ""
        if row.get("choices"):
            best = max(row["choices"], key=lambda c: (int(c["votes"]), -int(c["number"])))
            lead = f'{e(best["name"])} ({n(best["votes"], lang)})'
        rows.append([a(f"/tps/{row['code']}", f"{row['name']} · {row['code']}", lang),
                     status_badge(row["status"], lang),
                     n(row["revision"], lang) if row.get("revision") else "—",
                     n(tot["valid"], lang) if tot else "—",
                     n(tot["invalid"], lang) if tot else "—", lead or "—"])
    return (f'<section aria-labelledby="h-tps"><h2 id="h-tps">{e(t("tps_list", lang))}</h2>'
            + table(t("tps_list", lang), head, rows, cls="tps") + "</section>")


def dapil_links(doc: dict[str, Any], lang: Lang) -> str:
    ds = doc.get("dapils") or []
    if not ds:
        return ""
    lis = "".join(f"<li>{a('/dapil/' + d['code'], d['name'], lang)} — "
                  f"{e(fmt_int(int(d['seats']), lang))} {e(t('seats', lang).lower())}</li>"
                  for d in ds)
    return (f'<section class="card" aria-labelledby="h-dapil"><h2 id="h-dapil">'
            f'{e(t("dapils_here", lang))}</h2><ul class="cols">{lis}</ul></section>')


def seats_block(data: PortalData, seats: dict[str, Any], lang: Lang) -> str:
    """The national seat projection (``seats``: the seats document)."""
    contest = str(seats["projection"]["contest"])
    proj = seats["projection"]
    parties = {p.number: p.abbreviation for p in data.election.parties}
    eligible = proj.get("eligible")
    rows = [[e(parties.get(int(num), f"#{num}")), n(int(seats), lang)]
            for num, seats in sorted(proj["national"], key=lambda x: (-int(x[1]), int(x[0])))]
    head = [(t("choice", lang), "text"), (t("seats", lang), "num")]
    note = t("projection_note", lang)
    if eligible is not None:
        note += " " + t("threshold", lang) + ": " + ", ".join(
            parties.get(int(x), f"#{x}") for x in eligible) + "."
    more = a("/dapil", t("dapil_list", lang), lang, contest=contest)
    return (f'<section class="card" aria-labelledby="h-seats"><h2 id="h-seats">'
            f'{e(t("seat_projection", lang))}</h2>'
            + table(t("seat_projection", lang), head, rows)
            + f'<p class="note">{e(note)} {more}</p></section>')


def as_of(doc: dict[str, Any], lang: Lang, live: bool = True) -> str:
    idx = int(doc.get("as_of_index", -1))
    live_txt = (f' <span class="live" data-live-status>{e(t("live_on", lang))}</span>'
                if live else "")
    return (f'<p class="asof">{e(t("as_of", lang))} <span data-k="as_of_index">'
            f"{e(fmt_int(idx, lang))}</span>.{live_txt}</p>")


# ------------------------------------------------------------------ pages
def region_body(data: PortalData, doc: dict[str, Any], contest: str, available: list[str],
                lang: Lang, *, progress: dict[str, Any] | None,
                seats: dict[str, Any] | None = None) -> str:
    region = doc["region"]
    code = region["code"]
    national = code == "0"
    path = "/" if national else f"/wilayah/{code}"
    title = (t("site", lang) if national else
             f"{level_name(region['level'], lang)} {region['name']}")
    parts = []
    if not national:
        parts.append(breadcrumbs(data, code, region["name"], contest, lang))
    parts.append(f"<h1>{e(title)}</h1>")
    parts.append(contest_tabs(path, contest, available, lang))
    parts.append(f'<h2 class="contest">{e(contest_name(contest, lang))}</h2>')
    parts.append(as_of(doc, lang))
    parts.append('<div class="grid2">')
    results = '<section class="card wide" aria-labelledby="h-res">'
    results += f'<h2 id="h-res">{e(t("results", lang))}</h2>'
    if doc["choices"]:
        results += choices_table(doc["choices"], contest, lang,
                                 f"{t('results', lang)} — {contest_name(contest, lang)}")
    elif contest == "dpd":
        results += f"<p>{e(t('dapil_list', lang))}: " + a(
            "/dapil", t("dapil_list", lang), lang, contest="dpd") + "</p>"
    results += figures(doc["totals"], lang) + "</section>"
    parts.append(results)
    parts.append(progress_block(doc["progress"], contest, lang))
    parts.append("</div>")
    if national and progress is not None:
        values = {}
        names = {}
        rows = []
        for prov in progress["provinces"]:
            pc = prov["contests"].get(contest)
            rcode = prov["region"]["code"]
            names[rcode] = prov["region"]["name"]
            if pc is None:
                continue
            values[rcode] = int(pc["in_bp"])
            rows.append([a(f"/wilayah/{rcode}", prov["region"]["name"], lang, contest=contest),
                         n(pc["sheets_in"], lang), n(pc["sheets_expected"], lang),
                         num_cell(fmt_bp(int(pc["in_bp"]), lang), int(pc["in_bp"])),
                         n(pc["sheets_flagged"], lang)])
        parts.append(cartogram(values, names, lang, contest=contest,
                               caption=t("cartogram", lang), note=t("cartogram_note", lang),
                               missing=t("not_in_election", lang)))
        parts.append(f'<section aria-labelledby="h-prov"><h2 id="h-prov">'
                     f'{e(t("by_province", lang))}</h2>' + table(
                         t("by_province", lang),
                         [(t("region", lang), "text"), (t("sheets_in", lang), "num"),
                          (t("of", lang), "num"), ("%", "num"),
                          (t("sheets_flagged", lang), "num")], rows) + "</section>")
    if contest in PARTY_CONTESTS and national and seats is not None:
        parts.append(seats_block(data, seats, lang))
    parts.append(children_table(doc, contest, lang))
    parts.append(tps_table(doc, lang))
    parts.append(dapil_links(doc, lang))
    if national:
        parts.append(checkpoint_block(data.checkpoint(), lang))
    return "".join(parts)


_VOTERS = (("A", "Pemilih terdaftar dalam DPT", "Voters on the register (DPT)"),
           ("B1", "Pengguna hak pilih dalam DPT", "Voters on the DPT who voted"),
           ("B2", "Pengguna hak pilih dalam DPTb (pindahan)", "Transferred voters (DPTb)"),
           ("B3", "Pengguna hak pilih dalam DPK (tambahan)", "Additional voters (DPK)"),
           ("B4", "Jumlah pengguna hak pilih (B1 + B2 + B3)", "All who voted (B1 + B2 + B3)"))
_BALLOTS = (("1", "Surat suara diterima (termasuk cadangan 2%)",
             "Ballot papers received (incl. 2% reserve)"),
            ("2", "Surat suara digunakan", "Ballot papers used"),
            ("3", "Surat suara rusak/keliru dicoblos", "Ballot papers damaged or spoilt"),
            ("4", "Surat suara tidak digunakan", "Ballot papers unused"))
_TOTALS = (("A", "Jumlah suara sah", "Valid votes"),
           ("B", "Jumlah suara tidak sah", "Invalid votes"),
           ("C", "Jumlah seluruh suara sah dan tidak sah", "All votes, valid and invalid"))


def _v(path: str, value: int, lang: Lang) -> str:
    return f'<td class="num" data-f="{e(path)}" data-v="{value}">{e(fmt_int(value, lang))}</td>'


def sheet_form(data: PortalData, sheet: dict[str, Any], contest: str, dapil: str | None,
               lang: Lang) -> str:
    lpj = (f'<th scope="col" class="num">{e(t("male", lang))}</th><th scope="col" class="num">'
           f'{e(t("female", lang))}</th><th scope="col" class="num">{e(t("sum", lang))}</th>')
    rows = "".join(
        f'<tr><th scope="row"><span class="fk">{k}</span> {e(pid if lang == "id" else pen)}</th>'
        + "".join(_v(f"voters.{k}.{x}", int(sheet["voters"][k][x]), lang) for x in "LPJ")
        + "</tr>" for k, pid, pen in _VOTERS)
    s1 = (f'<section class="form-sec"><h4>{e(t("form_I", lang))}</h4><div class="table-wrap">'
          f'<table><thead><tr><th scope="col"></th>{lpj}</tr></thead><tbody>{rows}</tbody>'
          "</table></div></section>")
    rows = "".join(
        f'<tr><th scope="row"><span class="fk">{k}</span> {e(pid if lang == "id" else pen)}</th>'
        + _v(f"ballots.{k}", int(sheet["ballots"][k]), lang) + "</tr>" for k, pid, pen in _BALLOTS)
    s2 = (f'<section class="form-sec"><h4>{e(t("form_II", lang))}</h4><div class="table-wrap">'
          f"<table><tbody>{rows}</tbody></table></div></section>")
    s3 = (f'<section class="form-sec"><h4>{e(t("form_III", lang))}</h4><div class="table-wrap">'
          f'<table><thead><tr>{lpj}</tr></thead><tbody><tr>'
          + "".join(_v(f"disabled.{x}", int(sheet["disabled"][x]), lang) for x in "LPJ")
          + "</tr></tbody></table></div></section>")
    votes = sheet["votes"]
    body = ""
    if "tickets" in votes:
        names = {tk.number: f"{tk.president} – {tk.vice_president}" for tk in data.election.tickets}
        body = "".join(
            f'<tr><th scope="row"><span class="fk">{int(x["number"]):02d}</span> '
            f'{e(names.get(int(x["number"]), "#" + str(x["number"])))}</th>'
            + _v(f"votes.tickets[{i}].votes", int(x["votes"]), lang) + "</tr>"
            for i, x in enumerate(votes["tickets"]))
    elif "candidates" in votes:
        cands = _candidate_names(data, dapil)
        body = "".join(
            f'<tr><th scope="row"><span class="fk">{int(x["number"])}</span> '
            f'{e(cands.get((None, int(x["number"])), "#" + str(x["number"])))}</th>'
            + _v(f"votes.candidates[{i}].votes", int(x["votes"]), lang) + "</tr>"
            for i, x in enumerate(votes["candidates"]))
    else:
        cands = _candidate_names(data, dapil)
        parties = {p.number: f"{p.abbreviation} — {p.name}" for p in data.election.parties}
        for i, p in enumerate(votes["parties"]):
            num = int(p["number"])
            body += (f'<tr class="party"><th scope="row"><span class="fk">{num}</span> '
                     f'{e(parties.get(num, "#" + str(num)))} — '
                     f'{e(t("party_votes", lang).lower())}</th>'
                     + _v(f"votes.parties[{i}].party_votes", int(p["party_votes"]), lang)
                     + "</tr>")
            for j, c in enumerate(p["candidates"]):
                body += (f'<tr><th scope="row" class="cand"><span class="fk">{int(c["number"])}'
                         f'</span> {e(cands.get((num, int(c["number"])), "#" + str(c["number"])))}'
                         "</th>" + _v(f"votes.parties[{i}].candidates[{j}].votes",
                                      int(c["votes"]), lang) + "</tr>")
            body += (f'<tr class="ptotal"><th scope="row">{e(t("sum", lang))} '
                     f'{e(parties.get(num, "#" + str(num)).split(" — ")[0])}</th>'
                     + _v(f"votes.parties[{i}].total", int(p["total"]), lang) + "</tr>")
    s4 = (f'<section class="form-sec"><h4>{e(t("form_IV", lang))}</h4><div class="table-wrap">'
          f"<table><tbody>{body}</tbody></table></div></section>")
    rows = "".join(
        f'<tr><th scope="row"><span class="fk">{k}</span> {e(pid if lang == "id" else pen)}</th>'
        + _v(f"totals.{k}", int(sheet["totals"][k]), lang) + "</tr>" for k, pid, pen in _TOTALS)
    s5 = (f'<section class="form-sec"><h4>{e(t("form_V", lang))}</h4><div class="table-wrap">'
          f"<table><tbody>{rows}</tbody></table></div></section>")
    return f'<div class="form">{s1}{s2}{s3}{s4}{s5}</div>'


def _candidate_names(data: PortalData, dapil: str | None) -> dict[tuple[int | None, int], str]:
    if not dapil:
        return {}
    try:
        return {(c.party, c.number): c.name for c in data.election.candidates(dapil)}
    except SaksiError:  # names are decoration; the numbers stand alone
        return {}


def _flags_of(problems: list[Any], codes: list[str], lang: Lang) -> str:
    items = []
    for p in problems:
        if isinstance(p, dict):
            msg = p.get("message_id") if lang == "id" else p.get("message_en")
            items.append(f'<li><span aria-hidden="true">⚠</span> <strong>{e(p.get("code", ""))}'
                         f"</strong>: {e(msg or '')}</li>")
    if not items:
        items = [f'<li><span aria-hidden="true">⚠</span> <strong>{e(c)}</strong></li>'
                 for c in codes]
    return f'<ul class="flags">{"".join(items)}</ul>'


def tps_body(data: PortalData, doc: dict[str, Any], lang: Lang) -> str:
    tps = doc["tps"]
    code = tps["code"]
    # The signed documents as the TPS document lists them (receipt fields and
    # exact envelope): the page reads nothing the API does not publish.
    signed = {int(d["index"]): d for d in doc.get("documents", [])}
    parts = [breadcrumbs(data, code, f"{tps['name']} · {code}", "ppwp", lang),
             f"<h1>{e(tps['name'])} <small>{e(code)}</small></h1>",
             f'<p>{e(t("dpt", lang))}: <strong>{e(fmt_int(int(doc["dpt"]), lang))}</strong>. '
             f"{as_of(doc, lang)}</p>",
             f'<noscript><p class="note">{e(t("verify_nojs", lang))}</p></noscript>']
    toc = "".join(f'<li><a href="#c-{e(c["contest"])}">{e(contest_name(c["contest"], lang))}'
                  f"</a> {status_badge(c['status'], lang)}</li>" for c in doc["contests"])
    parts.append(f'<nav class="toc" aria-label="{e(t("contest", lang))}"><ul>{toc}</ul></nav>')
    for c in doc["contests"]:
        contest = c["contest"]
        sec = [f'<section class="contest-sheet card" id="c-{e(contest)}" '
               f'aria-labelledby="h-{e(contest)}"><h2 id="h-{e(contest)}">'
               f'{e(t("sheet", lang))} — {e(contest_name(contest, lang))}</h2>',
               f"<p>{status_badge(c['status'], lang)}"
               + (f" · {a('/dapil/' + c['dapil'], t('dapil', lang) + ' ' + c['dapil'], lang)}"
                  if c.get("dapil") else "") + "</p>"]
        cur, sheet = c.get("current"), c.get("sheet")
        if cur is None or sheet is None:
            sec.append(f'<p>{e(t("not_in_yet", lang))}</p></section>')
            parts.append("".join(sec))
            continue
        row = signed.get(int(cur["index"]))
        key = data.key(cur["signer"])
        sec.append(f'<h3>{e(t("flags", lang))}</h3>')
        if cur["flags"]:
            problems = (row.get("flags") or []) if row else []
            sec.append(_flags_of(problems, list(cur["flags"]), lang))
        else:
            sec.append(f'<p class="ok"><span aria-hidden="true">✓</span> '
                       f'{e(t("no_flags", lang))}</p>')
        sec.append(sheet_form(data, sheet, contest, c.get("dapil"), lang))
        photo = sheet.get("photo_sha256")
        role = pick(ROLE_NAMES.get(cur["role"], (cur["role"], cur["role"])), lang)
        cosigners = ""
        if row is not None:
            try:
                extra = [s["keyid"] for s in row["envelope"].get("signatures", [])[1:]]
            except (AttributeError, KeyError, TypeError):
                extra = []
            if extra:
                cosigners = (f'<div><dt>{e(t("cosigners", lang))}</dt><dd><ul>' + "".join(
                    f'<li><code class="hash">{e(k)}</code></li>' for k in extra)
                    + "</ul></dd></div>")
        sec.append(
            f'<h3>{e(t("signed_by", lang))}</h3><dl class="kv">'
            f'<div><dt>{e(t("role", lang))}</dt><dd>{e(role)}</dd></div>'
            f'<div><dt>{e(t("keyid", lang))}</dt><dd><code class="hash">{e(cur["signer"])}'
            f"</code></dd></div>"
            f'<div><dt>{e(t("scope", lang))}</dt><dd>{e(key.scope if key else "—")}</dd></div>'
            f'<div><dt>{e(t("time", lang))}</dt><dd><time datetime="{e(cur["time"])}">'
            f'{e(cur["time"])}</time></dd></div>'
            f'<div><dt>{e(t("revision", lang))}</dt><dd>{e(cur["revision"])}</dd></div>'
            + (f'<div><dt>{e(t("reason", lang))}</dt><dd>{e(cur["reason"])}</dd></div>'
               if cur.get("reason") else "")
            + f'<div><dt>{e(t("log_index", lang))}</dt><dd>{e(cur["index"])}</dd></div>'
            f'<div><dt>{e(t("leaf_hash", lang))}</dt><dd><code class="hash">'
            f'{e(cur["leaf_hash"])}</code></dd></div>'
            f'<div><dt>{e(t("photo", lang))}</dt><dd>'
            + (f'<code class="hash">{e(photo)}</code>' if photo else e(t("no_photo", lang)))
            + f"</dd></div>{cosigners}</dl>")
        pk = key.public_key.hex() if key else ""
        sec.append(
            f'<div class="verify" data-tps="{e(code)}" data-contest="{e(contest)}" '
            f'data-index="{e(cur["index"])}" data-leaf="{e(cur["leaf_hash"])}" '
            f'data-keyid="{e(cur["signer"])}" data-pk="{e(pk)}" '
            f'data-role="{e(key.role if key else "")}" data-scope="{e(key.scope if key else "")}"'
            f' data-enrolled="{e(key.valid_from if key else "")}">'
            f'<button type="button" class="btn" hidden>{e(t("verify", lang))}</button>'
            f'<p class="note">{e(t("verify_note", lang))}</p>'
            f'<ol class="steps" aria-live="polite"></ol></div>')
        sec.append(history_table(c["history"], lang))
        sec.append("</section>")
        parts.append("".join(sec))
    return "".join(parts)


def history_table(history: list[dict[str, Any]], lang: Lang) -> str:
    head = [(t("revision", lang), "num"), (t("log_index", lang), "num"), (t("time", lang), "text"),
            (t("role", lang), "text"), (t("reason", lang), "text"), (t("flags", lang), "text"),
            (t("status", lang), "text")]
    out = []
    for h in sorted(history, key=lambda x: int(x["index"])):
        why = pick(WHY_NAMES.get(h["why"], (h["why"], h["why"])), lang)
        flags = ", ".join(h["flags"]) if h["flags"] else "—"
        out.append([n(h["revision"], lang), n(h["index"], lang), e(h["time"]),
                    e(pick(ROLE_NAMES.get(h["role"], (h["role"], h["role"])), lang)),
                    e(h.get("reason") or "—"), (("⚠ " if h["flags"] else "") + e(flags)),
                    status_badge(h["status"], lang) + f" <small>({e(why)})</small>"])
    return (f'<h3>{e(t("history", lang))}</h3>'
            + table(t("history", lang), head, out, cls="history"))
