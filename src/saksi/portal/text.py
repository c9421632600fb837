"""Words and numbers of the portal in Bahasa Indonesia (default) and English.

Numbers follow the language: ``1.234.567`` and ``58,59%`` in Indonesian,
``1,234,567`` and ``58.59%`` in English. The published documents carry exact
integers and a display percentage string with a dot; these helpers only change
the separators, never the digits, so a page always shows the API's figures.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "id"


def fmt_int(n: int, lang: Lang) -> str:
    sep = "." if lang == "id" else ","
    sign = "-" if n < 0 else ""
    digits = str(abs(n))
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + sep.join(groups)


def fmt_percent(percent: str, lang: Lang) -> str:
    """A published ``percent`` string (``"58.59"``) in the page's language."""
    whole, _, frac = percent.partition(".")
    text = fmt_int(int(whole), lang) + ((("," if lang == "id" else ".") + frac) if frac else "")
    return text + "%"


def fmt_bp(bp: int, lang: Lang) -> str:
    """Basis points (rounded down by the publisher) as a percentage with two decimals."""
    return fmt_percent(f"{bp // 100}.{bp % 100:02d}", lang)


CONTEST_NAMES: dict[str, tuple[str, str]] = {
    "ppwp": ("Presiden dan Wakil Presiden", "President and Vice President"),
    "dpr": ("DPR RI", "House of Representatives (DPR)"),
    "dpd": ("DPD RI", "Regional Representative Council (DPD)"),
    "dprd-prov": ("DPRD Provinsi", "Provincial Council (DPRD)"),
    "dprd-kabkota": ("DPRD Kabupaten/Kota", "Regency/City Council (DPRD)"),
}

LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "nasional": ("Nasional", "National"),
    "provinsi": ("Provinsi", "Province"),
    "kabkota": ("Kabupaten/Kota", "Regency/City"),
    "kecamatan": ("Kecamatan", "District"),
    "desa": ("Kelurahan/Desa", "Village"),
    "tps": ("TPS", "Polling station"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "device": ("Perangkat KPPS (TPS)", "KPPS device (polling station)"),
    "kecamatan": ("PPK (kecamatan) — koreksi", "PPK (district) — correction"),
    "kabkota": ("KPU kabupaten/kota", "KPU regency/city"),
    "provinsi": ("KPU provinsi", "KPU province"),
    "witness": ("Saksi", "Witness"),
    "root": ("KPU RI (akar)", "KPU (root)"),
}

STATUS_NAMES: dict[str, tuple[str, str, str]] = {
    # status: (icon, Indonesian, English) — the icon is never the only signal
    "current": ("✓", "Masuk, dihitung", "In, counted"),
    "flagged": ("⚠", "Ditandai — menunggu koreksi, tidak dihitung",
                "Flagged — awaiting correction, not counted"),
    "missing": ("…", "Belum masuk", "Not yet in"),
    "superseded": ("↺", "Digantikan", "Superseded"),
    "stale": ("✗", "Ditolak (revisi lama)", "Refused (stale revision)"),
}

WHY_NAMES: dict[str, tuple[str, str]] = {
    "first": ("kiriman pertama", "first submission"),
    "higher-revision": ("revisi lebih tinggi dari KPPS", "higher revision from the KPPS"),
    "ppk-correction": ("koreksi PPK", "PPK correction"),
    "REVISION-STALE": ("revisi tidak lebih tinggi", "revision not higher"),
}

_T: dict[str, tuple[str, str]] = {
    "site": ("Saksi — Hasil Pemilu 2024", "Saksi — 2024 Election Results"),
    "tagline": ("Data sementara dari formulir C.Hasil yang ditandatangani di TPS",
                "Provisional data from the C.Hasil forms signed at the polling stations"),
    "skip": ("Langsung ke isi", "Skip to content"),
    "nav_home": ("Beranda", "Home"),
    "nav_dapil": ("Dapil", "Districts"),
    "nav_search": ("Cari", "Search"),
    "nav_flags": ("Ditandai", "Flagged"),
    "nav_download": ("Unduh & API", "Downloads & API"),
    "nav_about": ("Tentang angka", "About the numbers"),
    "other_lang": ("English", "Bahasa Indonesia"),
    "contest": ("Pemilihan", "Contest"),
    "results": ("Perolehan suara", "Votes"),
    "choice": ("Pilihan", "Choice"),
    "number": ("No.", "No."),
    "votes": ("Suara", "Votes"),
    "share": ("Persentase", "Share"),
    "party_votes": ("Suara partai saja", "Party-only votes"),
    "progress": ("Kemajuan", "Progress"),
    "sheets_in": ("Formulir masuk", "Sheets in"),
    "sheets_counted": ("Formulir dihitung", "Sheets counted"),
    "sheets_flagged": ("Formulir ditandai", "Sheets flagged"),
    "tps_in": ("TPS masuk", "Polling stations in"),
    "of": ("dari", "of"),
    "dpt": ("Pemilih terdaftar (DPT)", "Registered voters (DPT)"),
    "voters": ("Pengguna hak pilih", "Voters who voted"),
    "valid": ("Suara sah", "Valid votes"),
    "invalid": ("Suara tidak sah", "Invalid votes"),
    "total": ("Jumlah suara", "All votes"),
    "region": ("Wilayah", "Region"),
    "children": ("Rincian wilayah", "Regions below"),
    "cartogram": ("Peta kemajuan per provinsi", "Progress map by province"),
    "cartogram_note": ("Setiap kotak satu provinsi (kira-kira letak geografisnya); angka = "
                       "persentase formulir masuk. Kotak bergaris: tidak termasuk pemilu ini.",
                       "Each tile is one province (roughly where it lies); the figure = share "
                       "of sheets in. Hatched tile: not part of this election."),
    "by_province": ("Kemajuan per provinsi", "Progress by province"),
    "not_in_election": ("tidak termasuk", "not included"),
    "flagged_waiting": ("formulir ditandai menunggu koreksi", "flagged sheets awaiting correction"),
    "flagged_votes": ("suara pada formulir ditandai (belum dihitung)",
                      "votes on flagged sheets (not counted yet)"),
    "see_flagged": ("Lihat daftar", "See the list"),
    "checkpoint": ("Catatan log terakhir (checkpoint)", "Latest log checkpoint"),
    "cp_size": ("Jumlah entri", "Entries"),
    "cp_root": ("Akar Merkle", "Merkle root"),
    "cp_time": ("Diterbitkan", "Published"),
    "witnesses": ("Saksi log (cosignature)", "Log witnesses (cosignatures)"),
    "no_witnesses": ("Belum ada saksi log yang ikut menandatangani checkpoint ini.",
                     "No log witness has cosigned this checkpoint yet."),
    "as_of": ("Data sampai entri log", "Figures up to log entry"),
    "json_twin": ("Data JSON halaman ini", "This page as JSON"),
    "live_on": ("Diperbarui otomatis", "Updates automatically"),
    "updated": ("Diperbarui", "Updated"),
    "tps_list": ("TPS di wilayah ini", "Polling stations here"),
    "status": ("Status", "Status"),
    "dapils_here": ("Dapil di wilayah ini", "Electoral districts here"),
    "seats": ("Kursi", "Seats"),
    "seat_projection": ("Proyeksi kursi (Sainte-Laguë)", "Seat projection (Sainte-Laguë)"),
    "projection_note": ("Proyeksi dari formulir yang sudah dihitung, bukan hasil resmi.",
                        "A projection from the sheets counted so far, not the official result."),
    "threshold": ("Lolos ambang batas 4% nasional", "Above the 4% national threshold"),
    "below_threshold": ("tidak lolos ambang batas", "below the threshold"),
    "candidates": ("Calon", "Candidates"),
    "elected_projection": ("proyeksi terpilih", "projected elected"),
    "dapil_list": ("Daerah pemilihan", "Electoral districts"),
    "code": ("Kode", "Code"),
    "name": ("Nama", "Name"),
    "search": ("Cari TPS atau wilayah", "Search for a polling station or region"),
    "search_label": ("Kode TPS, nama kelurahan/desa atau kecamatan",
                     "Polling station code, village or district name"),
    "search_button": ("Cari", "Search"),
    "no_results": ("Tidak ada yang cocok.", "Nothing matches."),
    "not_found": ("Halaman tidak ditemukan", "Page not found"),
    "sheet": ("Formulir C.Hasil", "Form C.Hasil"),
    "not_in_yet": ("Formulir belum masuk.", "The sheet is not in yet."),
    "signed_by": ("Ditandatangani oleh", "Signed by"),
    "role": ("Peran", "Role"),
    "keyid": ("ID kunci", "Key id"),
    "scope": ("Cakupan", "Scope"),
    "time": ("Waktu dicatat", "Recorded at"),
    "log_index": ("Indeks log", "Log index"),
    "leaf_hash": ("Hash daun", "Leaf hash"),
    "photo": ("Hash foto bukti (SHA-256)", "Evidence photo hash (SHA-256)"),
    "no_photo": ("tidak ada foto", "no photo"),
    "revision": ("Revisi", "Revision"),
    "reason": ("Alasan", "Reason"),
    "history": ("Riwayat versi", "Version history"),
    "flags": ("Tanda pemeriksaan", "Check flags"),
    "no_flags": ("Tidak ada — semua pemeriksaan aritmetika lolos.",
                 "None — every arithmetic check passed."),
    "verify": ("Verifikasi sendiri", "Verify it yourself"),
    "verify_note": ("Peramban Anda sendiri memeriksa tanda tangan Ed25519 formulir ini, bukti "
                    "inklusi di log, dan tanda tangan checkpoint — tanpa mempercayai server ini.",
                    "Your own browser checks this sheet's Ed25519 signature, its inclusion "
                    "proof in the log and the checkpoint's signature — without trusting this "
                    "server."),
    "verify_nojs": ("Verifikasi di peramban memerlukan JavaScript; atau jalankan saksi verify "
                    "(lihat Unduh & API).",
                    "In-browser verification needs JavaScript; or run saksi verify (see "
                    "Downloads & API)."),
    "cosigners": ("Saksi TPS yang ikut menandatangani", "TPS witnesses who cosigned"),
    "dapil": ("Dapil", "District"),
    "download": ("Unduh data dan API", "Downloads and API"),
    "about": ("Tentang angka-angka ini", "About these numbers"),
    "flag_list": ("Formulir ditandai, menunggu koreksi", "Flagged sheets awaiting correction"),
    "none_flagged": ("Tidak ada formulir yang ditandai.", "No sheet is flagged."),
    "log_vkey": ("Kunci verifikasi log", "Log verifier key"),
    "form_I": ("I. Data pemilih dan pengguna hak pilih", "I. Voters and turnout"),
    "form_II": ("II. Data penggunaan surat suara", "II. Ballot papers"),
    "form_III": ("III. Pemilih disabilitas", "III. Voters with disabilities"),
    "form_IV": ("IV. Rincian perolehan suara", "IV. Votes"),
    "form_V": ("V. Jumlah suara sah dan tidak sah", "V. Valid and invalid votes"),
    "male": ("L", "M"),
    "female": ("P", "F"),
    "sum": ("Jumlah", "Total"),
    "more": ("Berikutnya", "Next"),
    "all_contests": ("Semua pemilihan", "All contests"),
    "leading": ("Terbanyak", "Leading"),
    "ticket": ("Paslon", "Ticket"),
    "flag_meaning": ("Tanda berarti pemeriksaan aritmetika formulir tidak cocok (misalnya angka "
                     "yang salah baca). Formulir disimpan persis seperti ditandatangani tetapi "
                     "tidak dihitung sampai PPK mengirim koreksi dengan alasannya.",
                     "A flag means an arithmetic check on the sheet does not hold (a misread "
                     "digit, say). The sheet is kept exactly as signed but is not counted "
                     "until the PPK sends a correction with its reason."),
}


def t(key: str, lang: Lang) -> str:
    pair = _T[key]
    return pair[0] if lang == "id" else pair[1]


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "id" else pair[1]


def contest_name(contest: str, lang: Lang) -> str:
    return pick(CONTEST_NAMES.get(contest, (contest, contest)), lang)


def level_name(level: str, lang: Lang) -> str:
    return pick(LEVEL_NAMES.get(level, (level, level)), lang)
