"""The downloads/API page and the page about the numbers."""

from __future__ import annotations

from saksi.portal.html import a, e
from saksi.portal.text import Lang, contest_name, t

LEVELS = ("nasional", "provinsi", "kabkota", "kecamatan", "desa", "tps")


def download_body(contests: list[str], vkey: str, origin: str, lang: Lang) -> str:
    en = lang == "en"
    rows = []
    for c in contests:
        links = " · ".join(
            f'<a href="/api/v1/download/{e(c)}.{fmt}?level={lv}" download>{lv} ({fmt.upper()})</a>'
            for lv in LEVELS for fmt in ("csv", "json"))
        rows.append(f"<li><strong>{e(contest_name(c, lang))}</strong>: {links}</li>")
    api = [
        ("/api/v1/progress", "kemajuan per provinsi dan pemilihan", "progress per province and "
                                                                      "contest"),
        ("/api/v1/results/0?contest=ppwp", "hasil satu wilayah (0 = nasional) dan anak-anaknya",
         "one region's results (0 = national) and its children"),
        ("/api/v1/seats/dpr", "proyeksi kursi", "seat projection"),
        ("/api/v1/checkpoint", "checkpoint log yang ditandatangani", "the signed log checkpoint"),
        ("/openapi.json", "dokumen OpenAPI 3.1 (semua rute)", "the OpenAPI 3.1 document (every "
                                                               "route)"),
    ]
    api_items = "".join(f'<li><a href="{e(u)}"><code>{e(u)}</code></a> — {e(en_t if en else i)}'
                        "</li>" for u, i, en_t in api)
    verify_id = ("Siapa pun dapat memeriksa ulang seluruh hasil dari log: unduh tile log "
                 "(<code>/log/…</code>), lalu jalankan pemeriksa independen. Ia memeriksa "
                 "tanda tangan checkpoint, setiap tile, setiap amplop dan rantai kunci, aturan "
                 "formulir, dan setiap jumlah di setiap tingkat, lalu membandingkannya dengan API.")
    verify_en = ("Anyone can recheck every result from the log: fetch the log tiles "
                 "(<code>/log/…</code>) and run the independent verifier. It checks the "
                 "checkpoint signature, every tile, every envelope and the key chain, the sheet "
                 "rules and every total at every level, then compares them with the API.")
    return (
        f'<h1>{e(t("download", lang))}</h1>'
        f'<section class="card"><h2>{"Bulk downloads" if en else "Unduhan massal"}</h2>'
        f'<p class="note">{"CSV in long form: one row per (unit, choice). Same figures as the API, as of the same log entry." if en else "CSV bentuk panjang: satu baris per (unit, pilihan). Angka sama dengan API, sampai entri log yang sama."}</p>'  # noqa: E501
        f'<ul class="downloads">{"".join(rows)}</ul></section>'
        f'<section class="card"><h2>API</h2><p>{"Every page of this portal has a JSON twin (link rel=alternate). Responses carry an ETag: send If-None-Match to get 304 when nothing changed." if en else "Setiap halaman portal ini punya kembaran JSON (link rel=alternate). Jawaban membawa ETag: kirim If-None-Match untuk mendapat 304 bila tidak berubah."}</p>'  # noqa: E501
        f"<ul>{api_items}</ul></section>"
        f'<section class="card"><h2>{"Verify it yourself" if en else "Verifikasi sendiri"}</h2>'
        f"<p>{verify_en if en else verify_id}</p>"
        "<pre><code>saksi verify https://HOST/            # "
        + ("everything, from the public log and API" if en else
           "semuanya, dari log dan API publik")
        + "\nsaksi verify https://HOST/ --log-vkey VKEY --policy witnesses.txt\n"
          "saksi verify https://HOST/ --since state.json --save-state state.json   # "
        + ("only what is new" if en else "hanya yang baru") + "</code></pre>"
        f'<p>{e(t("log_vkey", lang))} ({e(origin)}):</p><pre><code class="hash" id="vkey">'
        f"{e(vkey)}</code></pre>"
        f'<p class="note">{"Compare this key with the one KPU publishes elsewhere: a key taken from the same server only proves consistency, not authenticity." if en else "Bandingkan kunci ini dengan yang diumumkan KPU di tempat lain: kunci yang diambil dari server yang sama hanya membuktikan konsistensi, bukan keaslian."}</p>'  # noqa: E501
        f'<p>{"Log files (C2SP tlog-tiles):" if en else "Berkas log (C2SP tlog-tiles):"} '
        '<a href="/log/checkpoint"><code>/log/checkpoint</code></a>, '
        "<code>/log/tile/0/000</code>, <code>/log/tile/entries/000</code>.</p></section>")


_ABOUT_ID = """
<section class="card"><h2>Data sementara, bukan hasil resmi</h2>
<p>Angka di portal ini dijumlahkan dari formulir C.Hasil yang <strong>ditandatangani secara
digital di TPS</strong> oleh perangkat KPPS yang terdaftar. Ini data sementara untuk
transparansi. Hasil yang sah secara hukum ditetapkan dalam rapat pleno terbuka berjenjang:
PPK (kecamatan), KPU kabupaten/kota, KPU provinsi, lalu KPU RI, sekitar lima minggu setelah
pemungutan suara. Proyeksi kursi dihitung dari formulir yang sudah masuk dan bukan
hasil.</p></section>
<section class="card"><h2>Arti tanda (⚠)</h2>
<p>Setiap formulir diperiksa aritmetikanya: jumlah laki-laki dan perempuan, surat suara, suara sah
dan tidak sah, batas pemilih. Jika ada yang tidak cocok — misalnya angka 84 terbaca 884 — formulir
<strong>ditandai</strong>. Formulir yang ditandai tetap disimpan persis seperti ditandatangani dan
ditampilkan dengan pesannya, tetapi <strong>tidak dihitung</strong> sampai PPK mengirim koreksi yang
ditandatangani beserta alasannya. Koreksi tidak menghapus versi lama: seluruh riwayat terlihat di
halaman TPS.</p></section>
<section class="card"><h2>Log dan saksi</h2>
<p>Setiap dokumen yang mengubah hasil (pendaftaran kunci, formulir, koreksi) dicatat dalam satu
log Merkle yang hanya bisa ditambah (format C2SP/RFC 6962). Server menandatangani
<em>checkpoint</em> (ukuran dan akar log). Saksi independen (Bawaslu, partai, kampus, media)
memeriksa bahwa log hanya bertambah lalu ikut menandatangani checkpoint. Jadi angka yang diubah
diam-diam, atau riwayat yang ditulis ulang, akan ketahuan.</p>
<p>Di setiap halaman TPS, tombol <strong>Verifikasi sendiri</strong> membuat peramban Anda
memeriksa tanda tangan Ed25519 formulir, bukti inklusinya di log, dan tanda tangan checkpoint.
Untuk pemeriksaan menyeluruh, gunakan <code>saksi verify</code> (lihat Unduh &amp;
API).</p></section>
<section class="card"><h2>Cara membaca angka</h2>
<p>Persentase = suara pilihan dibagi jumlah suara semua pilihan pada formulir yang dihitung,
dibulatkan ke dua desimal (angka pecahan tepatnya ada di API). Angka ditulis dengan titik
sebagai pemisah ribuan dan koma untuk desimal.</p></section>
"""

_ABOUT_EN = """
<section class="card"><h2>Provisional data, not the official result</h2>
<p>The figures on this portal add up the C.Hasil sheets <strong>signed digitally at each
polling station</strong> by its enrolled KPPS device. They are provisional, for transparency.
The legally binding result is set in public plenary meetings, level by level: the PPK
(district), KPU regency/city, KPU province and KPU RI, about five weeks after voting day. Seat
projections come from the sheets counted so far and are not a result.</p></section>
<section class="card"><h2>What a flag (⚠) means</h2>
<p>Every sheet's arithmetic is checked: men plus women, ballot papers, valid and invalid votes,
the voter cap. When something does not add up — 84 misread as 884, say — the sheet is
<strong>flagged</strong>. A flagged sheet is kept exactly as signed and shown with its message, but
it is <strong>not counted</strong> until the PPK sends a signed correction with its reason. A
correction never erases the old version: the whole history is on the polling station's page.</p>
</section>
<section class="card"><h2>The log and the witnesses</h2>
<p>Every document that changes a result (key enrolments, sheets, corrections) is recorded in one
append-only Merkle log (C2SP/RFC 6962 formats). The server signs a <em>checkpoint</em> (the log's
size and root). Independent witnesses (Bawaslu, parties, universities, media) check that the log
only grew and cosign the checkpoint, so a number changed quietly, or a rewritten history, is
caught.</p>
<p>On every polling station page, the <strong>Verify it yourself</strong> button has your browser
check the sheet's Ed25519 signature, its inclusion proof in the log and the checkpoint signature.
For a full check, use <code>saksi verify</code> (see Downloads &amp; API).</p></section>
<section class="card"><h2>Reading the numbers</h2>
<p>A share = a choice's votes divided by the votes of all choices on the counted sheets, rounded
to two decimals (the exact fraction is in the API). In English, numbers use commas for thousands
and a point for decimals; in Indonesian, points for thousands and a comma for decimals.</p>
</section>
"""


def about_body(lang: Lang) -> str:
    return (f'<h1>{e(t("about", lang))}</h1>' + (_ABOUT_EN if lang == "en" else _ABOUT_ID)
            + f"<p>{a('/unduh', t('nav_download', lang), lang)}</p>")
