"""Generated candidates: varied Indonesian names, party lists that respect
the women's quota, DPD individuals. Deterministic per (seed, dapil, party)."""

from __future__ import annotations

import math
import random

from saksi.election.catalog import DPD_CANDIDATES_2024, PARTIES, SMALL_PARTIES
from saksi.election.dpt import largest_remainder, rng_for
from saksi.election.model import ACEH, Candidate, Contest, Dapil, Party

_MEN = (
    "Agus", "Ahmad", "Andi", "Arief", "Bambang", "Budi", "Dedi", "Denny", "Dimas", "Eko",
    "Fajar", "Fauzi", "Gede", "Hendra", "Heru", "Ilham", "Imam", "Iwan", "Joko", "Komang",
    "Kurniawan", "Lukman", "Made", "Muhammad", "Nyoman", "Rahmat", "Rizky", "Rudi", "Slamet",
    "Sutrisno", "Teguh", "Teuku", "Wahyu", "Yohanes", "Yusuf", "Zainal", "Hasan", "Ridwan",
    "Taufik", "Aditya", "Bayu", "Cahyo", "Darmawan", "Irfan", "Marthen", "Petrus", "La Ode",
    "Syahrul", "Umar", "Wayan",
)
_WOMEN = (
    "Ani", "Ayu", "Dewi", "Dian", "Endang", "Fitri", "Hana", "Ika", "Indah", "Intan",
    "Kartika", "Lestari", "Maria", "Mega", "Nur", "Nurul", "Putri", "Ratna", "Rina", "Rini",
    "Sari", "Siti", "Sri", "Tuti", "Wulan", "Yanti", "Yuliana", "Cut", "Ni Luh", "Ni Made",
    "Rahmawati", "Anisa", "Fransiska", "Kristina", "Melati", "Nining", "Oktaviani", "Puspita",
    "Rosmawati", "Susanti", "Theresia", "Utami", "Vera", "Wahyuni", "Yohana", "Zahra",
    "Aisyah", "Halimah", "Juwita", "Larasati",
)
_SECOND = (
    "Saputra", "Pratama", "Hidayat", "Santoso", "Wibowo", "Setiawan", "Nugroho", "Siregar",
    "Nasution", "Harahap", "Lubis", "Simanjuntak", "Sitompul", "Pane", "Tanjung", "Sinaga",
    "Hutapea", "Panjaitan", "Rangkuti", "Daulay", "Wijaya", "Kusuma", "Permana", "Hakim",
    "Rahman", "Syahputra", "Gunawan", "Susanto", "Purnomo", "Suryadi", "Mahendra", "Firmansyah",
    "Hasibuan", "Pohan", "Manurung", "Sembiring", "Ginting", "Tarigan", "Pattiradjawane",
    "Wenas", "Lumban Tobing", "Mandagi", "Rumbiak", "Wonda", "Kogoya", "Latuconsina",
    "Marpaung", "Pardede", "Syamsuddin", "Baharuddin", "Amir", "Daeng Matata", "Sulaiman",
    "Effendi", "Ramadhan", "Anggraini", "Handayani", "Wulandari", "Kurniasih", "Rahayu",
)
_FRONT = ("H.", "Dr.", "Ir.", "Drs.", "Prof. Dr.")
_BACK = ("S.H.", "S.E.", "S.Pd.", "S.T.", "S.Kom.", "S.Sos.", "S.IP.", "M.M.", "M.Si.", "M.H.",
         "S.H., M.H.", "S.E., M.M.", "S.Ag.", "S.Kep.", "Lc.")

PARTY_CONTESTS = (Contest.DPR, Contest.DPRD_PROV, Contest.DPRD_KABKOTA)


def person_name(rng: random.Random, sex: str) -> str:
    given = rng.choice(_MEN if sex == "L" else _WOMEN)
    parts = [given]
    if rng.random() < 0.75:
        parts.append(rng.choice(_SECOND))
    if rng.random() < 0.2:
        parts.insert(1, rng.choice(_MEN if sex == "L" else _WOMEN))
    name = " ".join(parts)
    roll = rng.random()
    if roll < 0.12:
        front = rng.choice(_FRONT)
        name = f"{'Hj.' if front == 'H.' and sex == 'P' else front} {name}"
    if rng.random() < 0.45:
        name = f"{name}, {rng.choice(_BACK)}"
    return name


def list_sexes(rng: random.Random, size: int) -> list[str]:
    """Sexes down a party list: at least one woman in every three places and
    at least ceil(30%) women overall (the 2024 quota, rounded up)."""
    sexes = ["P" if rng.random() < 0.22 else "L" for _ in range(size)]
    for start in range(0, size, 3):
        triple = range(start, min(start + 3, size))
        if len(triple) == 3 and all(sexes[i] == "L" for i in triple):
            sexes[start + int(rng.random() * 3)] = "P"
    need = math.ceil(0.3 * size) - sexes.count("P")
    for i in range(size - 1, -1, -1):
        if need <= 0:
            break
        if sexes[i] == "L":
            sexes[i], need = "P", need - 1
    return sexes


def parties_in(dapil: Dapil) -> tuple[Party, ...]:
    """Parties that may field a list in ``dapil`` (Aceh's local ones only in its DPRD)."""
    aceh_dprd = dapil.contest is not Contest.DPR and dapil.code.split("-")[-2].startswith(ACEH)
    return tuple(p for p in PARTIES if not p.local or aceh_dprd)


def party_list(seed: int, dapil: Dapil, party: Party) -> list[Candidate]:
    rng = rng_for(seed, "list", dapil.code, str(party.number))
    full = 0.55 if party.local else 0.8 if party.number in SMALL_PARTIES else 0.96
    size = dapil.seats if rng.random() < full else 1 + int(rng.random() * dapil.seats)
    size = min(size, dapil.seats)
    return [Candidate(dapil.code, party.number, number, person_name(rng, sex), sex)
            for number, sex in enumerate(list_sexes(rng, size), start=1)]


def dpd_counts(dapils: list[Dapil]) -> dict[str, int]:
    """Individual DPD candidates per province: 4–30, 668 nationally."""
    base = 8
    extra = largest_remainder(DPD_CANDIDATES_2024 - base * len(dapils),
                              [1.0 + (hash_fraction(d.code) * 1.5) for d in dapils])
    counts = [min(30, base + e) for e in extra]
    return {d.code: c for d, c in zip(dapils, counts, strict=True)}


def hash_fraction(text: str) -> float:
    return rng_for(0, "dpd-size", text).random()


def dpd_list(seed: int, dapil: Dapil, count: int) -> list[Candidate]:
    rng = rng_for(seed, "dpd", dapil.code)
    result = []
    for number in range(1, count + 1):
        sex = "P" if rng.random() < 0.2 else "L"
        result.append(Candidate(dapil.code, None, number, person_name(rng, sex), sex))
    return result
