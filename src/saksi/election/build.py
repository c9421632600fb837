"""Building an election directory from either source of the region tree.

The index is written to a temporary file with journaling off, fsynced and
renamed into place; the manifest is written after it, so a directory with
an ``election.json`` always holds a complete election.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from saksi import __version__
from saksi.election.candidates import dpd_counts, dpd_list, parties_in, party_list
from saksi.election.catalog import PARTIES, TICKETS
from saksi.election.codes import ancestors, parse_region_code
from saksi.election.dapil import design, touches
from saksi.election.dpt import village_totals, village_units
from saksi.election.manifest import SCALES, SCHEMA, ElectionManifest, encode_manifest
from saksi.election.model import Candidate, Contest, Dapil, Level, level_of_code
from saksi.election.store import (
    INDEX_NAME,
    MANIFEST_NAME,
    Election,
    count_index,
    index_sha256,
    region_rows,
    write_index,
)
from saksi.election.tree import RegionTree, load_builtin, load_kpu
from saksi.errors import InputError, NotFoundError, StateError

# A sensible default subtree per scale: Kota Bandung and its first district.
DEFAULT_REGION = {"nasional": "0", "provinsi": "32", "kabkota": "3273", "kecamatan": "327301"}
_SCALE_LEVEL = {"nasional": Level.NASIONAL, "provinsi": Level.PROVINSI,
                "kabkota": Level.KABKOTA, "kecamatan": Level.KECAMATAN}


def build_election(directory: Path, *, scale: str, region: str | None = None,
                   seed: int = 2024, force: bool = False) -> Election:
    """Build from the built-in (Kemendagri) tree with a synthetic overseas branch."""
    _check_scale(scale)
    _prepare(Path(directory), force)
    return _build(Path(directory), load_builtin(), scale, region, seed)


def import_kpu(directory: Path, *, wilayah: Path, tps: Path, scale: str = "nasional",
               region: str | None = None, seed: int = 2024, force: bool = False) -> Election:
    """Build from KPU's 2024 lists; the regions and TPS are exactly theirs."""
    _check_scale(scale)
    _prepare(Path(directory), force)
    return _build(Path(directory), load_kpu(Path(wilayah), Path(tps)), scale, region, seed)


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise InputError("scale", scale, f"skala harus salah satu dari {', '.join(SCALES)}",
                         f"scale must be one of {', '.join(SCALES)}")


def resolve_region(tree: RegionTree, scale: str, region: str | None) -> str:
    code = DEFAULT_REGION[scale] if region is None else parse_region_code(region)
    if level_of_code(code) is not _SCALE_LEVEL[scale]:
        raise InputError("region", region, f"wilayah untuk skala {scale} harus tingkat "
                         f"{_SCALE_LEVEL[scale].value}",
                         f"the region for scale {scale} must be a {_SCALE_LEVEL[scale].value}")
    if code != "0" and code not in tree.names:
        raise NotFoundError("region", code, "wilayah tidak ada di pohon wilayah ini",
                            "no such region in this region tree")
    return code


def _prepare(directory: Path, force: bool) -> None:
    existing = [directory / n for n in (MANIFEST_NAME, INDEX_NAME) if (directory / n).exists()]
    if existing and not force:
        raise StateError(f"sudah ada pemilu di {directory} (pakai --force untuk menimpa)",
                         f"an election already exists in {directory} (use --force to replace)")
    directory.mkdir(parents=True, exist_ok=True)
    for path in existing:  # the manifest goes first: the directory reads as incomplete
        path.unlink()


def _build(directory: Path, tree: RegionTree, scale: str, region: str | None,
           seed: int) -> Election:
    root = resolve_region(tree, scale, region)
    totals = village_totals(tree, seed)
    every_dapil = design(tree, totals)
    dapils = [d for d in every_dapil if touches(d, root)]
    dpd_sizes = dpd_counts([d for d in every_dapil if d.contest is Contest.DPD])
    above = [] if root == "0" else list(reversed(ancestors(root)[1:]))

    def tps_rows() -> Iterator[tuple[str, str, int, int]]:
        for village in tree.villages(root):
            for number, name, dpt_l, dpt_p in village_units(tree, seed, village, totals):
                yield f"{village}{number:03d}", name, dpt_l, dpt_p

    def candidate_rows() -> Iterator[Candidate]:
        for dapil in sorted(dapils, key=_dapil_key):
            if dapil.contest is Contest.DPD:
                yield from dpd_list(seed, dapil, dpd_sizes[dapil.code])
            else:
                for party in parties_in(dapil):
                    yield from party_list(seed, dapil, party)

    tmp = directory / f".{INDEX_NAME}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        write_index(conn, parties=PARTIES, tickets=TICKETS,
                    regions=region_rows(tree.names, [*above, *tree.walk(root)]),
                    tps=tps_rows(), dapils=dapils, candidates=candidate_rows())
        counts = count_index(conn, root)
        digest = index_sha256(conn)
    finally:
        conn.close()
    _fsync(tmp)
    os.replace(tmp, directory / INDEX_NAME)
    manifest = ElectionManifest(schema=SCHEMA, seed=seed, scale=scale, region=root,
                                source=tree.source, created_by=f"saksi {__version__}",
                                counts=counts, index_sha256=digest)
    part = directory / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    part.write_bytes(encode_manifest(manifest))
    _fsync(part)
    os.replace(part, directory / MANIFEST_NAME)
    _fsync(directory)
    return Election.open(directory)


def _dapil_key(dapil: Dapil) -> str:
    return dapil.code


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
