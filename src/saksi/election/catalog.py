"""Fixed facts of the 2024 general election: tickets, parties, provinces
(KPU names, 2024 DPT, DPR dapil and seats), the seat bands of the law
(UU 7/2017) and the overseas missions of the built-in tree.

Figures that are public but not exact to the voter (per-province DPT) are
used only as weights; builders rescale them to the national totals below.
"""

from __future__ import annotations

from saksi.election.model import ACEH, DKI_JAKARTA, Party, Ticket

DOMESTIC_DPT_2024 = 203_056_748
OVERSEAS_DPT_2024 = 1_750_474

TICKETS: tuple[Ticket, ...] = (
    Ticket(1, "H. Anies Rasyid Baswedan, Ph.D.", "Dr. (H.C.) H. A. Muhaimin Iskandar"),
    Ticket(2, "H. Prabowo Subianto", "Gibran Rakabuming Raka"),
    Ticket(3, "H. Ganjar Pranowo, S.H., M.I.P.", "Prof. Dr. H. M. Mahfud MD"),
)

PARTIES: tuple[Party, ...] = (
    Party(1, "PKB", "Partai Kebangkitan Bangsa", False),
    Party(2, "GERINDRA", "Partai Gerakan Indonesia Raya", False),
    Party(3, "PDI-P", "Partai Demokrasi Indonesia Perjuangan", False),
    Party(4, "GOLKAR", "Partai Golongan Karya", False),
    Party(5, "NASDEM", "Partai NasDem", False),
    Party(6, "BURUH", "Partai Buruh", False),
    Party(7, "GELORA", "Partai Gelombang Rakyat Indonesia", False),
    Party(8, "PKS", "Partai Keadilan Sejahtera", False),
    Party(9, "PKN", "Partai Kebangkitan Nusantara", False),
    Party(10, "HANURA", "Partai Hati Nurani Rakyat", False),
    Party(11, "GARUDA", "Partai Garda Republik Indonesia", False),
    Party(12, "PAN", "Partai Amanat Nasional", False),
    Party(13, "PBB", "Partai Bulan Bintang", False),
    Party(14, "DEMOKRAT", "Partai Demokrat", False),
    Party(15, "PSI", "Partai Solidaritas Indonesia", False),
    Party(16, "PERINDO", "Partai Persatuan Indonesia", False),
    Party(17, "PPP", "Partai Persatuan Pembangunan", False),
    Party(18, "PNA", "Partai Nanggroe Aceh", True),
    Party(19, "GABTHAT", "Partai Generasi Atjeh Beusaboh Tha'at dan Taqwa", True),
    Party(20, "PDA", "Partai Darul Aceh", True),
    Party(21, "PA", "Partai Aceh", True),
    Party(22, "PAS ACEH", "Partai Adil Sejahtera Aceh", True),
    Party(23, "SIRA", "Partai Solidaritas Independen Rakyat Aceh", True),
    Party(24, "UMMAT", "Partai Ummat", False),
)

# Parties that, in 2024, left many dapil lists short or nearly empty.
SMALL_PARTIES = frozenset({6, 7, 9, 10, 11, 13, 24})


# code: (KPU name, approximate 2024 DPT, DPR dapil, DPR seats)
PROVINCES: dict[str, tuple[str, int, int, int]] = {
    "11": ("ACEH", 3_742_037, 2, 13),
    "12": ("SUMATERA UTARA", 10_853_940, 3, 30),
    "13": ("SUMATERA BARAT", 4_088_606, 2, 14),
    "14": ("RIAU", 4_732_174, 2, 13),
    "15": ("JAMBI", 2_676_107, 1, 8),
    "16": ("SUMATERA SELATAN", 6_326_348, 2, 17),
    "17": ("BENGKULU", 1_494_165, 1, 4),
    "18": ("LAMPUNG", 6_539_128, 2, 20),
    "19": ("KEPULAUAN BANGKA BELITUNG", 1_066_790, 1, 3),
    "21": ("KEPULAUAN RIAU", 1_522_830, 1, 4),
    "31": ("DKI JAKARTA", 8_252_897, 3, 21),
    "32": ("JAWA BARAT", 35_714_901, 11, 91),
    "33": ("JAWA TENGAH", 28_289_413, 10, 77),
    "34": ("DI YOGYAKARTA", 2_870_974, 1, 8),
    "35": ("JAWA TIMUR", 31_402_838, 11, 87),
    "36": ("BANTEN", 8_842_646, 3, 22),
    "51": ("BALI", 3_269_516, 1, 9),
    "52": ("NUSA TENGGARA BARAT", 3_923_194, 2, 11),
    "53": ("NUSA TENGGARA TIMUR", 4_008_322, 2, 13),
    "61": ("KALIMANTAN BARAT", 3_940_591, 2, 12),
    "62": ("KALIMANTAN TENGAH", 1_972_840, 1, 6),
    "63": ("KALIMANTAN SELATAN", 2_891_946, 2, 11),
    "64": ("KALIMANTAN TIMUR", 2_778_637, 1, 8),
    "65": ("KALIMANTAN UTARA", 505_302, 1, 3),
    "71": ("SULAWESI UTARA", 1_977_800, 1, 6),
    "72": ("SULAWESI TENGAH", 2_185_293, 1, 7),
    "73": ("SULAWESI SELATAN", 6_670_582, 3, 24),
    "74": ("SULAWESI TENGGARA", 1_876_789, 1, 6),
    "75": ("GORONTALO", 874_474, 1, 3),
    "76": ("SULAWESI BARAT", 965_221, 1, 4),
    "81": ("MALUKU", 1_352_198, 1, 4),
    "82": ("MALUKU UTARA", 975_124, 1, 3),
    "91": ("PAPUA", 716_697, 1, 3),
    "92": ("PAPUA BARAT", 385_465, 1, 3),
    "93": ("PAPUA SELATAN", 369_058, 1, 3),
    "94": ("PAPUA TENGAH", 1_061_311, 1, 3),
    "95": ("PAPUA PEGUNUNGAN", 1_158_086, 1, 3),
    "96": ("PAPUA BARAT DAYA", 440_826, 1, 3),
}
OVERSEAS_NAME = "LUAR NEGERI"
DPD_SEATS = 4
DPD_CANDIDATES_2024 = 668

# Voters per inhabitant in 2024 (DPT 204.8 M of about 281 M people): the
# law's seat bands count inhabitants, the index only knows voters.
POPULATION_PER_VOTER = 1.385


def population_estimate(dpt: int) -> int:
    return round(dpt * POPULATION_PER_VOTER)


def dprd_prov_seats(province: str, population: int) -> int:
    """Seats of a provincial DPRD by UU 7/2017 art. 188 population bands."""
    bands = ((1_000_000, 35), (3_000_000, 45), (5_000_000, 55), (7_000_000, 65),
             (9_000_000, 75), (11_000_000, 85), (20_000_000, 100))
    seats = next((s for limit, s in bands if population <= limit), 120)
    if province == DKI_JAKARTA:
        return 106  # UU 29/2007: DKI's DPRD has its own size
    if province == ACEH:
        return round(seats * 1.25)  # UU 11/2006: DPRA is 125% of the band
    return seats


def dprd_kabkota_seats(province: str, population: int) -> int:
    """Seats of a kab/kota DPRD by UU 7/2017 art. 191 population bands."""
    bands = ((100_000, 20), (200_000, 25), (300_000, 30), (400_000, 35),
             (500_000, 40), (1_000_000, 45), (3_000_000, 50))
    seats = next((s for limit, s in bands if population <= limit), 55)
    if province == ACEH:
        return round(seats * 1.25)  # DPRK, like the DPRA
    return seats


# The built-in overseas branch: one mission per entry, with a weight for its
# share of the 1.75 M overseas voters (Malaysia, Hong Kong, Taiwan and the
# Gulf hold most of them). Names follow KPU's "City, Country" style.
OVERSEAS_MISSIONS: tuple[tuple[str, float], ...] = (
    ("Abu Dhabi, Uni Emirat Arab", 6), ("Abuja, Nigeria", 0.3), ("Addis Ababa, Ethiopia", 0.3),
    ("Alger, Aljazair", 0.3), ("Amman, Yordania", 3), ("Ankara, Turki", 1),
    ("Antananarivo, Madagaskar", 0.2), ("Astana, Kazakhstan", 0.2), ("Athena, Yunani", 0.5),
    ("Baghdad, Irak", 0.3), ("Baku, Azerbaijan", 0.3),
    ("Bandar Seri Begawan, Brunei Darussalam", 12),
    ("Bangkok, Thailand", 3), ("Beijing, Tiongkok", 2), ("Beirut, Lebanon", 0.3),
    ("Beograd, Serbia", 0.2), ("Berlin, Jerman", 3), ("Bern, Swiss", 1),
    ("Bogota, Kolombia", 0.2), ("Brasilia, Brasil", 0.3), ("Bratislava, Slowakia", 0.2),
    ("Brussel, Belgia", 1), ("Bukares, Rumania", 0.3), ("Budapest, Hungaria", 0.3),
    ("Buenos Aires, Argentina", 0.3), ("Canberra, Australia", 2), ("Caracas, Venezuela", 0.2),
    ("Chicago, Amerika Serikat", 1), ("Colombo, Sri Lanka", 0.3), ("Dakar, Senegal", 0.2),
    ("Damaskus, Suriah", 0.5), ("Dar es Salaam, Tanzania", 0.3), ("Darwin, Australia", 0.5),
    ("Davao City, Filipina", 1.5), ("Den Haag, Belanda", 5), ("Dhaka, Bangladesh", 0.3),
    ("Dili, Timor Leste", 1), ("Doha, Qatar", 6), ("Dubai, Uni Emirat Arab", 10),
    ("Frankfurt, Jerman", 1.5), ("Guangzhou, Tiongkok", 1), ("Hamburg, Jerman", 1),
    ("Hanoi, Vietnam", 0.5), ("Havana, Kuba", 0.2), ("Helsinki, Finlandia", 0.5),
    ("Ho Chi Minh City, Vietnam", 0.8), ("Hong Kong, RRT", 90), ("Houston, Amerika Serikat", 1),
    ("Islamabad, Pakistan", 0.5), ("Istanbul, Turki", 1.5), ("Jeddah, Arab Saudi", 60),
    ("Johor Bahru, Malaysia", 45), ("Kabul, Afganistan", 0.2), ("Kairo, Mesir", 5),
    ("Karachi, Pakistan", 0.3), ("Khartoum, Sudan", 0.5), ("Kopenhagen, Denmark", 0.5),
    ("Kota Kinabalu, Malaysia", 80), ("Kuala Lumpur, Malaysia", 250), ("Kuching, Malaysia", 30),
    ("Kuwait City, Kuwait", 6), ("Kyiv, Ukraina", 0.2), ("Lima, Peru", 0.2),
    ("Lisabon, Portugal", 0.3), ("London, Inggris", 4), ("Los Angeles, Amerika Serikat", 3),
    ("Madrid, Spanyol", 0.5), ("Manama, Bahrain", 2), ("Manila, Filipina", 1),
    ("Maputo, Mozambik", 0.2), ("Marseille, Prancis", 0.3), ("Melbourne, Australia", 4),
    ("Meksiko City, Meksiko", 0.3), ("Moskow, Rusia", 0.8), ("Mumbai, India", 0.3),
    ("Muskat, Oman", 3), ("Nairobi, Kenya", 0.3), ("New Delhi, India", 0.5),
    ("New York, Amerika Serikat", 5), ("Noumea, Kaledonia Baru", 0.8), ("Osaka, Jepang", 8),
    ("Oslo, Norwegia", 0.5), ("Ottawa, Kanada", 0.5), ("Panama City, Panama", 0.2),
    ("Paramaribo, Suriname", 0.5), ("Paris, Prancis", 1.5), ("Penang, Malaysia", 25),
    ("Perth, Australia", 3), ("Phnom Penh, Kamboja", 0.5), ("Port Moresby, Papua Nugini", 0.8),
    ("Praha, Republik Ceko", 0.3), ("Pretoria, Afrika Selatan", 0.5),
    ("Pyongyang, Korea Utara", 0.1),
    ("Rabat, Maroko", 0.3), ("Riyadh, Arab Saudi", 45), ("Roma, Italia", 1),
    ("Sana'a, Yaman", 0.5), ("San Francisco, Amerika Serikat", 2), ("Santiago, Chile", 0.2),
    ("Sarajevo, Bosnia dan Herzegovina", 0.2), ("Seoul, Korea Selatan", 30),
    ("Shanghai, Tiongkok", 1),
    ("Singapura, Singapura", 70), ("Sofia, Bulgaria", 0.2), ("Songkhla, Thailand", 0.5),
    ("Stockholm, Swedia", 0.5), ("Suva, Fiji", 0.3), ("Sydney, Australia", 5),
    ("Taipei, Taiwan", 120), ("Tashkent, Uzbekistan", 0.2), ("Tawau, Malaysia", 60),
    ("Teheran, Iran", 0.3), ("Tokyo, Jepang", 25), ("Toronto, Kanada", 1),
    ("Tripoli, Libya", 0.2), ("Tunis, Tunisia", 0.3), ("Vancouver, Kanada", 1),
    ("Vanimo, Papua Nugini", 0.5), ("Vientiane, Laos", 0.3), ("Warsawa, Polandia", 0.3),
    ("Washington DC, Amerika Serikat", 2), ("Wellington, Selandia Baru", 1), ("Wina, Austria", 0.5),
    ("Windhoek, Namibia", 0.1), ("Yangon, Myanmar", 0.3), ("Zagreb, Kroasia", 0.2),
    ("Sandakan, Malaysia", 20), ("Makau, RRT", 5),
)
