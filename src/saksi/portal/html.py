"""A tiny HTML helper: escaping, links that keep the language, the page frame.

No template engine: every page is built from small functions returning
strings, and every piece of data goes through :func:`e` exactly once.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from saksi.portal.text import Lang, t

ASSET_VERSION = "1"  # bump when static files change (they are cached for a day)


def e(value: object) -> str:
    return escape(str(value), quote=True)


def href(path: str, lang: Lang, **params: str | int | None) -> str:
    """A link to a portal page that keeps ``?lang=en`` (no cookies)."""
    query = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    if lang == "en":
        query["lang"] = "en"
    return path + ("?" + urlencode(query) if query else "")


def a(path: str, text: str, lang: Lang, cls: str = "", **params: str | int | None) -> str:
    c = f' class="{e(cls)}"' if cls else ""
    return f'<a href="{e(href(path, lang, **params))}"{c}>{e(text)}</a>'


def table(caption: str, head: list[tuple[str, str]], rows: list[list[str]], *,
          sortable: bool = True, cls: str = "") -> str:
    """``head`` is (label, kind) with kind ``text`` or ``num``; cells are markup.

    The rows arrive sorted by the server; portal.js adds click-to-sort on the
    column buttons (the table is complete and usable without it)."""
    ths = "".join(
        f'<th scope="col" class="{"num" if kind == "num" else ""}" data-kind="{e(kind)}">'
        f"{e(label)}</th>" for label, kind in head)
    body = "".join("<tr>" + "".join(cells_of(row, head)) + "</tr>" for row in rows)
    srt = " data-sortable" if sortable else ""
    return (f'<div class="table-wrap"><table class="{e(cls)}"{srt}><caption>{e(caption)}'
            f"</caption><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table></div>")


def cells_of(row: list[str], head: list[tuple[str, str]]) -> list[str]:
    out = []
    for i, cell in enumerate(row):
        kind = head[i][1] if i < len(head) else "text"
        out.append(f'<td class="num">{cell}</td>' if kind == "num" else f"<td>{cell}</td>")
    return out


def num_cell(text: str, value: int) -> str:
    """A number as shown, with its exact value for sorting and checking."""
    return f'<span data-v="{value}">{e(text)}</span>'


def page(*, title: str, body: str, lang: Lang, path: str, params: dict[str, str],
         alternate: str | None = None, live: str | None = None, nav: str = "",
         scripts: tuple[str, ...] = ("portal.js",), extra_head: str = "") -> str:
    other: Lang = "en" if lang == "id" else "id"
    other_link = href(path, other, **params)
    alt = (f'<link rel="alternate" type="application/json" href="{e(alternate)}">'
           if alternate else "")
    script_tags = "".join(
        f'<script src="/static/{e(s)}?v={ASSET_VERSION}" defer></script>' for s in scripts)
    live_attr = f' data-live="{e(live)}"' if live else ""
    items = [("/", "nav_home", "home"), ("/dapil", "nav_dapil", "dapil"),
             ("/bendera", "nav_flags", "flags"), ("/cari", "nav_search", "search"),
             ("/unduh", "nav_download", "download"), ("/tentang", "nav_about", "about")]
    current = ' aria-current="page"'
    links = "".join(
        f'<li><a href="{e(href(p, lang))}"{current if nav == k else ""}>'
        f"{e(t(key, lang))}</a></li>" for p, key, k in items)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · {e(t('site', lang))}</title>"
        f'<link rel="stylesheet" href="/static/portal.css?v={ASSET_VERSION}">'
        f'<link rel="icon" href="/static/logo.svg" type="image/svg+xml">'
        f"{alt}{extra_head}{script_tags}</head><body>"
        f'<a class="skip" href="#isi">{e(t("skip", lang))}</a>'
        f'<header class="top"><div class="wrap"><a class="brand" href="{e(href("/", lang))}">'
        f'<img src="/static/logo.svg" alt="" width="32" height="32">'
        f'<span><strong>{e(t("site", lang))}</strong>'
        f'<small>{e(t("tagline", lang))}</small></span></a>'
        f'<a class="lang" href="{e(other_link)}" hreflang="{other}" lang="{other}">'
        f'{e(t("other_lang", lang))}</a></div>'
        f'<nav aria-label="{e(t("nav_home", lang))}"><ul class="wrap">{links}</ul></nav></header>'
        f'<main id="isi" class="wrap" tabindex="-1"{live_attr}>{body}</main>'
        f'<footer class="wrap"><p>{e(t("tagline", lang))}. '
        f'{a("/tentang", t("nav_about", lang), lang)} · '
        f'{a("/unduh", t("nav_download", lang), lang)}'
        + (f' · <a href="{e(alternate)}">{e(t("json_twin", lang))}</a>' if alternate else "")
        + "</p></footer></body></html>")
