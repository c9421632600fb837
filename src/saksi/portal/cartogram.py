"""A tile-grid cartogram of the 38 provinces and the overseas voters.

One equal tile per province at roughly its place on the map (row, column),
with its abbreviation and its value written on it: the colour only repeats
what the text says."""

from __future__ import annotations

from collections.abc import Mapping

from saksi.portal.html import e, href
from saksi.portal.text import Lang, fmt_bp

# code: (abbreviation, row, column), rows and columns from 1
TILES: dict[str, tuple[str, int, int]] = {
    "11": ("ACEH", 1, 1), "12": ("SUMUT", 2, 1), "14": ("RIAU", 2, 2), "21": ("KEPRI", 2, 3),
    "13": ("SUMBAR", 3, 1), "15": ("JAMBI", 3, 2), "19": ("BABEL", 3, 3),
    "17": ("BKL", 4, 1), "16": ("SUMSEL", 4, 2), "31": ("DKI", 4, 3),
    "18": ("LAMPUNG", 5, 2), "36": ("BANTEN", 5, 3), "32": ("JABAR", 5, 4),
    "33": ("JATENG", 5, 5), "35": ("JATIM", 5, 6), "51": ("BALI", 5, 7), "52": ("NTB", 5, 8),
    "53": ("NTT", 5, 9), "34": ("DIY", 6, 5), "99": ("LUAR NEGERI", 6, 1),
    "61": ("KALBAR", 2, 5), "65": ("KALTARA", 1, 6), "64": ("KALTIM", 2, 6),
    "62": ("KALTENG", 3, 5), "63": ("KALSEL", 3, 6),
    "71": ("SULUT", 1, 9), "75": ("GTLO", 1, 8), "76": ("SULBAR", 2, 7),
    "72": ("SULTENG", 2, 8), "73": ("SULSEL", 3, 7), "74": ("SULTRA", 3, 8),
    "82": ("MALUT", 1, 10), "81": ("MALUKU", 3, 10),
    "96": ("PBD", 2, 11), "92": ("PAPUA BARAT", 2, 12), "91": ("PAPUA", 2, 13),
    "94": ("P. TENGAH", 3, 12), "95": ("P. PEGUNUNGAN", 3, 13), "93": ("P. SELATAN", 4, 13),
}


def _bucket(bp: int) -> int:
    return min(4, bp // 2500) if bp > 0 else 0


def cartogram(values: Mapping[str, int], names: Mapping[str, str], lang: Lang, *,
              contest: str, caption: str, note: str, missing: str) -> str:
    """``values``: province code → sheets in, basis points (absent: not in the election)."""
    items = []
    for code, (abbr, row, col) in sorted(TILES.items(), key=lambda kv: (kv[1][1], kv[1][2])):
        name = names.get(code, abbr)
        style = f"--r:{row};--c:{col}"
        if code in values:
            bp = values[code]
            label = fmt_bp(bp, lang)
            link = e(href(f"/wilayah/{code}", lang, contest=contest))
            items.append(
                f'<li class="tile b{_bucket(bp)}" style="{style}"><a href="{link}">'
                f'<abbr title="{e(name)}">{e(abbr)}</abbr><span class="sr">{e(name)}</span>'
                f'<b data-v="{bp}">{e(label)}</b></a></li>')
        else:
            items.append(
                f'<li class="tile out" style="{style}"><span><abbr title="{e(name)}">'
                f'{e(abbr)}</abbr><span class="sr">{e(name)}</span><b>—</b>'
                f'<span class="sr">{e(missing)}</span></span></li>')
    return (f'<figure class="carto-fig"><figcaption>{e(caption)}</figcaption>'
            f'<ol class="carto">{"".join(items)}</ol><p class="note">{e(note)}</p></figure>')
