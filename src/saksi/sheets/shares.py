"""Vote shares the sheet generator draws from (percentages, not data files).

``TICKET_SHARES`` is derived from KPU's Sirekap presidential figures per
province as published on 2024-03-07 15:00 WIB (78% of TPS counted; see
``../shared/data/kpu-2024``): each ticket's share of the three tickets'
votes, in percent rounded to 2 decimals. Embedded so that the project runs
without that file; a test checks them against it when it is present.
"""

from __future__ import annotations

from typing import Final

SHARE_DECIMALS: Final = 2

# province code → (01 Anies–Muhaimin, 02 Prabowo–Gibran, 03 Ganjar–Mahfud), percent
TICKET_SHARES: Final[dict[str, tuple[float, float, float]]] = {
    "11": (75.09, 22.65, 2.27),  # Aceh
    "12": (29.00, 58.74, 12.26),  # Sumatera Utara
    "13": (56.53, 39.54, 3.93),  # Sumatera Barat
    "14": (38.60, 51.94, 9.46),  # Riau
    "15": (24.05, 65.11, 10.84),  # Jambi
    "16": (19.09, 69.30, 11.61),  # Sumatera Selatan
    "17": (18.15, 70.20, 11.65),  # Bengkulu
    "18": (15.58, 69.34, 15.08),  # Lampung
    "19": (22.71, 59.99, 17.30),  # Kepulauan Bangka Belitung
    "21": (32.61, 55.66, 11.73),  # Kepulauan Riau
    "31": (41.04, 41.47, 17.49),  # DKI Jakarta
    "32": (31.60, 58.57, 9.83),  # Jawa Barat
    "33": (12.68, 53.04, 34.28),  # Jawa Tengah
    "34": (19.56, 50.75, 29.70),  # Daerah Istimewa Yogyakarta
    "35": (15.75, 66.37, 17.87),  # Jawa Timur
    "36": (33.78, 56.26, 9.95),  # Banten
    "51": (3.23, 52.92, 43.85),  # Bali
    "52": (25.87, 66.43, 7.71),  # Nusa Tenggara Barat
    "53": (5.30, 61.46, 33.24),  # Nusa Tenggara Timur
    "61": (22.96, 60.53, 16.51),  # Kalimantan Barat
    "62": (17.18, 72.09, 10.74),  # Kalimantan Tengah
    "63": (36.06, 57.38, 6.55),  # Kalimantan Selatan
    "64": (19.90, 69.36, 10.74),  # Kalimantan Timur
    "65": (18.10, 69.70, 12.20),  # Kalimantan Utara
    "71": (7.33, 75.27, 17.40),  # Sulawesi Utara
    "72": (21.70, 69.40, 8.90),  # Sulawesi Tengah
    "73": (38.12, 56.95, 4.94),  # Sulawesi Selatan
    "74": (23.29, 70.75, 5.96),  # Sulawesi Tenggara
    "75": (29.11, 65.44, 5.44),  # Gorontalo
    "76": (27.49, 64.91, 7.60),  # Sulawesi Barat
    "81": (19.57, 63.32, 17.10),  # Maluku
    "82": (26.59, 60.89, 12.53),  # Maluku Utara
    "91": (10.73, 59.60, 29.68),  # Papua
    "92": (11.54, 59.24, 29.21),  # Papua Barat
    "93": (10.67, 69.34, 20.00),  # Papua Selatan
    "94": (11.37, 61.36, 27.27),  # Papua Tengah
    "95": (20.00, 60.55, 19.45),  # Papua Pegunungan
    "96": (14.30, 61.25, 24.45),  # Papua Barat Daya
    "99": (20.24, 59.88, 19.88),  # Luar Negeri
}

NATIONAL_TICKET_SHARES: Final = (24.95, 58.59, 16.47)  # KPU decision 360/2024

# Approximate national DPR vote shares by party ballot number, percent
# (pemilu-2024.md); the seven small parties share the remaining ~3.5%.
PARTY_SHARES: Final[dict[int, float]] = {
    1: 10.6,  # PKB
    2: 13.2,  # Gerindra
    3: 16.7,  # PDI-P
    4: 15.3,  # Golkar
    5: 9.7,  # NasDem
    6: 0.6,  # Partai Buruh
    7: 0.8,  # Gelora
    8: 8.4,  # PKS
    9: 0.3,  # PKN
    10: 0.7,  # Hanura
    11: 0.3,  # Garuda
    12: 7.2,  # PAN
    13: 0.3,  # PBB
    14: 7.4,  # Demokrat
    15: 2.8,  # PSI
    16: 1.3,  # Perindo
    17: 3.9,  # PPP
    24: 0.5,  # Ummat
}

# Aceh local parties in Aceh's DPRD contests, percent of the DPRD vote there;
# national parties share the rest in proportion to PARTY_SHARES.
ACEH_LOCAL_SHARES: Final[dict[int, float]] = {
    18: 4.0,  # PNA
    19: 0.8,  # Gabthat
    20: 2.5,  # PDA
    21: 24.0,  # Partai Aceh
    22: 1.5,  # PAS Aceh
    23: 1.2,  # SIRA
}
UNKNOWN_PARTY_SHARE: Final = 0.5
